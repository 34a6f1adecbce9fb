"""core.agent: the application rules and the Engine every front end calls — the
trading cycle, the approval path, the one pre-trade gate, the session lifecycle (what
runs at the open, on each watch tick, at the decision time and at the close), the
account view risk needs, predictors and the signal policy.

Imports: `core.base`, `core.data`, `ml`, `risk`, `execution`, `storage`. Never the
drivers (`core.drivers`), the composition root (`core.app`) or a front end: they are
handed what they need.
"""
