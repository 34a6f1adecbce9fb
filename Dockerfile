# stockbot: one process serving the agent, Telegram and the web page.
# Build: docker build -t stockbot .
# Run:   docker run -d --name stockbot -v stockbot-data:/data -p 127.0.0.1:8080:8080 \
#            --env-file .env stockbot        (or: docker compose up -d, see compose.yaml)
#
# Debian 12 (bookworm), pinned: tests/test_docker_image.py checks the system libraries
# the installed wheels link to against this image's packages.
FROM python:3.11-slim-bookworm

# Shared libraries the wheels need that the slim image lacks (the test above keeps this
# list complete): libgomp1 is OpenMP, loaded by LightGBM and scikit-learn.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STOCKBOT_HOME=/data \
    STOCKBOT_CONFIG=/app/config/config.yaml \
    # Inside the container the page must listen on all interfaces to be published;
    # stockbot refuses that without WEBUI_PASSWORD, so set it in --env-file. Publish the
    # port on 127.0.0.1 only (-p 127.0.0.1:8080:8080) unless a TLS proxy is in front.
    WEBUI_HOST=0.0.0.0 \
    WEBUI_PORT=8080

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
# Light: one unauthenticated GET of the web server's /healthz ("ok …" while the agent's
# heartbeat is fresh, 503 otherwise), no curl needed. `stockbot doctor` is for people:
# docker exec stockbot stockbot doctor
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; r = u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEBUI_PORT', '8080'), timeout=5); sys.exit(0 if r.read().startswith(b'ok') else 1)"]
CMD ["stockbot", "run"]
