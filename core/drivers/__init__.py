"""core.drivers: what decides WHEN the session lifecycle runs — the live scheduler,
the demo's simulated clock, the backtest replay, backtests started from a front end,
and retraining. A driver owns a clock; it never decides WHAT runs or in which order.

Imports: `core.agent` and everything below it (`core.base`, `core.data`, `ml`, `risk`,
`execution`, `storage`). Never `core.app` or a front end.
"""
