"""Keep third-party chatter off the console: TensorFlow's C++ log lines, absl, yfinance,
pandas deprecations and other warnings. Called first thing by `main`, before anything
imports those libraries; once the log file is set up their records go there
(`core.base.logs` keeps them off the console handler).
"""

from __future__ import annotations

import logging
import os

# TensorFlow's C++ logging (oneDNN notices, CPU feature lines): 0 all, 1 no INFO,
# 2 no WARNING (as ml.models.lstm sets it), 3 no ERROR. A value the user set is kept.
TF_LOG_LEVEL = "2"


def quiet_third_parties() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_LOG_LEVEL)
    # Python's warnings (pandas deprecations, tqdm, sklearn) become records of the
    # "py.warnings" logger: written to the log file, never printed as raw warnings.
    logging.captureWarnings(True)
    # Until the log file is set up, a library's WARNING would reach stderr through
    # logging's last-resort handler; a do-nothing handler on the root stops that
    # (records still reach every handler added to the root later).
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())
