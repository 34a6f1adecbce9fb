"""core: the agent's centre, in layers that only import downwards —

- `core.base`: types, settings, clock, calendar, events, errors, logs (imports nothing
  else of stockbot);
- `core.data`: market data providers, cache, validation, replay, simulated market
  (imports `storage` for its bar cache, and `core.base`);
- `core.agent`: the Engine and the application rules (imports `ml`, `risk`,
  `execution`, `storage`, `core.data`, `core.base`);
- `core.drivers`: scheduler, demo, backtest, retraining — when things run (imports
  `core.agent` and below);
- `core.app`: composition root, CLI, doctor (imports everything; imported by nothing).
"""
