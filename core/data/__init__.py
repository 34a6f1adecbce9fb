"""Market data: one protocol over Alpaca, Yahoo, a CSV folder and a simulated market;
a SQLite bar cache; validation that never invents prices (DESIGN §7).

Imports: storage (the bar cache) and the core base.
"""
