"""core: the agent's centre — domain types, settings, clock and calendar, market data,
events, the Engine (the one service every front end calls), pipeline, scheduler,
backtest, the composition root (`core.app`) and the CLI.

Imports: the core base (`core.types`, `core.settings`, `core.clock`, `core.events`,
`core.logs`) imports no other stockbot package. `core.data` may import storage.
The Engine, pipeline, scheduler and backtest may import ml, risk, execution and storage.
Only the composition root and the CLI may import the front ends (bot, webui).
"""
