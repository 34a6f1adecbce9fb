"""risk: position sizing, stops and trailing stops, limits, the trading state machine
(kill switch), pre-trade checks and portfolio metrics.

Pure code with no I/O; imports `core.base.types` only. Callers persist its state objects.
"""
