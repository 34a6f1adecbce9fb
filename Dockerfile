# stockbot: one process serving the agent, Telegram and the web page.
# Build: docker build -t stockbot .
# Run:   docker run -v stockbot-data:/data -p 127.0.0.1:8080:8080 --env-file .env stockbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STOCKBOT_HOME=/data \
    STOCKBOT_CONFIG=/app/config/config.yaml \
    # Inside the container the page must listen on all interfaces to be published;
    # stockbot refuses that without WEBUI_PASSWORD, so set it in --env-file.
    WEBUI_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 stockbot \
    && mkdir -p /data \
    && chown stockbot:stockbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY ml ./ml
COPY risk ./risk
COPY execution ./execution
COPY webui ./webui
COPY storage ./storage
COPY config ./config
RUN pip install .

USER stockbot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["stockbot", "doctor"]
CMD ["stockbot", "run"]
