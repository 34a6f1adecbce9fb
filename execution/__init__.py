"""execution: the Broker protocol, the Alpaca adapter, the paper adapter (a simulated
exchange) and the order manager (idempotent submit, reconciliation).

Imports: risk (the order gate), storage (the order journal), core.data (paper fills)
and the core base.
"""
