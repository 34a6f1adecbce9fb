"""The SQLite store: the live agent's implementation of the storage port — the
`storage` modules themselves, over the one database file `open_database` bound."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from storage import (
    audit,
    book,
    bot_state,
    equity,
    flatten_jobs,
    journal,
    orders,
    paper_exchange,
    predictions,
    signals,
)
from storage.database import database_proxy
from storage.port import (
    AuditRepo,
    BookRepo,
    EquityRepo,
    FlattenRepo,
    JournalRepo,
    OrdersRepo,
    PaperRepo,
    PredictionsRepo,
    SignalsRepo,
    StateRepo,
)


class SqliteStore:
    signals: SignalsRepo = signals
    orders: OrdersRepo = orders
    book: BookRepo = book
    journal: JournalRepo = journal
    paper: PaperRepo = paper_exchange
    state: StateRepo = bot_state
    flatten: FlattenRepo = flatten_jobs
    equity: EquityRepo = equity
    predictions: PredictionsRepo = predictions
    audit: AuditRepo = audit

    def transaction(self) -> AbstractContextManager[Any]:
        return database_proxy.atomic(lock_type="IMMEDIATE")
