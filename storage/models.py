"""peewee models: one class per table. The schema itself is owned by `migrations/`;
`tests/unit/storage/test_schema.py` checks these classes match it column for column."""

from __future__ import annotations

from collections.abc import Iterable

from peewee import (
    BooleanField,
    CharField,
    CompositeKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from storage.database import database_proxy
from storage.fields import JsonField, UtcDateTimeField


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Signal(BaseModel):
    """A trading signal and its lifecycle status (DESIGN §4)."""

    id = CharField(primary_key=True)
    symbol = CharField()
    signal_type = CharField()
    confidence = FloatField()
    price = FloatField()
    quantity = IntegerField()
    stop_price = FloatField(null=True)
    risk_amount = FloatField(default=0.0)
    mode = CharField()
    status = CharField()
    reasons = JsonField(default=list)
    prediction = JsonField(null=True)
    created_at = UtcDateTimeField()
    expires_at = UtcDateTimeField()
    decided_at = UtcDateTimeField(null=True)
    decided_by = CharField(null=True)
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "signals"


class Order(BaseModel):
    """An order intent, written before submit, then the broker's view of it (DESIGN §5)."""

    id = IntegerField(primary_key=True)
    client_order_id = CharField(unique=True)
    broker_order_id = CharField(null=True, unique=True)
    signal = ForeignKeyField(Signal, null=True, column_name="signal_id", backref="orders")
    symbol = CharField()
    side = CharField()
    order_type = CharField()
    quantity = FloatField()
    limit_price = FloatField(null=True)
    stop_price = FloatField(null=True)
    status = CharField()
    filled_quantity = FloatField(default=0.0)
    filled_avg_price = FloatField(null=True)
    external = BooleanField(default=False)
    """Found at the broker during reconciliation, not sent by this agent."""
    purpose = CharField(default="open")
    """What the order does to the book: open, reduce, flatten or protect (the gate reads
    it at every send and resend)."""
    time_in_force = CharField(default="day")
    reason = CharField(null=True)
    """Why it was sent: signal, stop, trailing_stop, time or flatten."""
    planned_stop = FloatField(null=True)
    """The protective stop an approver chose (tighter than the signal's), if any."""
    send_after = UtcDateTimeField(null=True)
    """Queued for the open: not sent before this time (re-checked then)."""
    extended_hours = BooleanField(default=False)
    error = TextField(null=True)
    created_at = UtcDateTimeField()
    submitted_at = UtcDateTimeField(null=True)
    updated_at = UtcDateTimeField()
    # Accessors peewee adds at run time (declared for the type checker).
    signal_id: str | None
    fills: Iterable[Fill]

    class Meta:
        table_name = "orders"


class Fill(BaseModel):
    id = IntegerField(primary_key=True)
    order = ForeignKeyField(Order, column_name="order_id", backref="fills")
    broker_fill_id = CharField(null=True, unique=True)
    symbol = CharField()
    side = CharField()
    quantity = FloatField()
    price = FloatField()
    commission = FloatField(default=0.0)
    filled_at = UtcDateTimeField()
    order_id: int
    """The foreign key's raw value, added by peewee (declared for the type checker)."""

    class Meta:
        table_name = "fills"


class Position(BaseModel):
    """The agent's book: a position as the agent sees it (reconciled with the broker,
    which is the truth), and the stops the agent manages for it."""

    id = IntegerField(primary_key=True)
    symbol = CharField()
    quantity = FloatField()
    avg_entry_price = FloatField()
    initial_stop = FloatField(null=True)
    stop_price = FloatField(null=True)
    trailing_stop = FloatField(null=True)
    highest_price = FloatField(null=True)
    status = CharField()
    realized_pnl = FloatField(default=0.0)
    exit_reason = CharField(null=True)
    """Why it closed: signal, stop, trailing_stop, time, flatten or broker."""
    opened_at = UtcDateTimeField()
    closed_at = UtcDateTimeField(null=True)
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "positions"


class Prediction(BaseModel):
    """A stored prediction, scored against what the market did once the horizon passed."""

    id = IntegerField(primary_key=True)
    symbol = CharField()
    bar_time = UtcDateTimeField()
    horizon = IntegerField()
    probability_up = FloatField()
    model_run_id = CharField()
    details = JsonField(default=dict)
    created_at = UtcDateTimeField()
    outcome = IntegerField(null=True)
    """1 when it came true, 0 when not, NULL until known: for the plan target (details
    "target" = "plan") the plan's trade ended in profit, and `realized_return` is its R
    multiple; for direction, the close `horizon` sessions later was higher."""
    realized_return = FloatField(null=True)
    scored_at = UtcDateTimeField(null=True)

    class Meta:
        table_name = "predictions"


class EquitySnapshot(BaseModel):
    id = IntegerField(primary_key=True)
    timestamp = UtcDateTimeField(unique=True)
    equity = FloatField()
    cash = FloatField()
    exposure = FloatField(default=0.0)
    daily_pnl = FloatField(default=0.0)

    class Meta:
        table_name = "equity_snapshots"


class SettingOverride(BaseModel):
    """A runtime setting changed by a person; merged over config.yaml at start."""

    key = CharField(primary_key=True)
    value = JsonField()
    updated_at = UtcDateTimeField()
    updated_by = CharField()

    class Meta:
        table_name = "settings_overrides"


class AuditEvent(BaseModel):
    id = IntegerField(primary_key=True)
    timestamp = UtcDateTimeField()
    actor = CharField()
    """telegram:<user_id>, web:<user>, auto, risk or system."""
    action = CharField()
    details = JsonField(default=dict)
    origin = CharField(null=True)
    """Where the request came from: a chat id, a client address."""

    class Meta:
        table_name = "audit_events"


class Bar(BaseModel):
    """Cached market data; `ts` is epoch seconds (integers keep 100 × 10 y reads fast)."""

    provider = CharField()
    symbol = CharField()
    timeframe = CharField()
    adjustment = CharField()
    ts = IntegerField()
    open = FloatField()
    high = FloatField()
    low = FloatField()
    close = FloatField()
    volume = FloatField()

    class Meta:
        table_name = "bars"
        primary_key = CompositeKey("provider", "symbol", "timeframe", "adjustment", "ts")


class BarCoverage(BaseModel):
    """The contiguous range of `ts` the bar cache has fetched for one key."""

    provider = CharField()
    symbol = CharField()
    timeframe = CharField()
    adjustment = CharField()
    start_ts = IntegerField()
    end_ts = IntegerField()
    fetched_at = UtcDateTimeField()

    class Meta:
        table_name = "bar_coverage"
        primary_key = CompositeKey("provider", "symbol", "timeframe", "adjustment")


class BotState(BaseModel):
    """The single row of trading state (kill switch) that survives restarts.

    The trading mode is a runtime setting (`settings_overrides`), not kept here, so it
    has one source of truth.
    """

    id = IntegerField(primary_key=True)
    trading_state = CharField()
    changed_by = CharField()
    reason = TextField()
    changed_at = UtcDateTimeField()
    session_date = CharField(null=True)
    """Exchange session (YYYY-MM-DD) the daily loss limit is measured in."""
    session_start_equity = FloatField(null=True)
    version = IntegerField(default=0)
    """Raised by every trading-state change; changes compare-and-set on it."""

    class Meta:
        table_name = "bot_state"


class TelegramMessage(BaseModel):
    """Which chat messages show which signal (the announcement and every `/signals`
    copy, several per chat), so all can be edited when it is decided."""

    id = IntegerField(primary_key=True)
    signal = ForeignKeyField(Signal, column_name="signal_id", backref="messages")
    chat_id = IntegerField()
    message_id = IntegerField()
    created_at = UtcDateTimeField()

    class Meta:
        table_name = "telegram_messages"
        indexes = ((("signal", "chat_id", "message_id"), True),)


class PaperAccount(BaseModel):
    """The paper broker's cash (one row)."""

    id = IntegerField(primary_key=True)
    cash = FloatField()
    starting_cash = FloatField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "paper_account"


class PaperOrder(BaseModel):
    """An order at the paper broker (its exchange-side view)."""

    id = CharField(primary_key=True)
    client_order_id = CharField(unique=True)
    symbol = CharField()
    side = CharField()
    order_type = CharField()
    quantity = FloatField()
    limit_price = FloatField(null=True)
    stop_price = FloatField(null=True)
    status = CharField()
    filled_quantity = FloatField(default=0.0)
    filled_avg_price = FloatField(null=True)
    reject_reason = TextField(null=True)
    submitted_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    fills: Iterable[PaperFill]
    """Backref, added by peewee (declared for the type checker)."""

    class Meta:
        table_name = "paper_orders"


class PaperPosition(BaseModel):
    symbol = CharField(primary_key=True)
    quantity = FloatField()
    avg_entry_price = FloatField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "paper_positions"


class PaperFill(BaseModel):
    id = IntegerField(primary_key=True)
    order = ForeignKeyField(PaperOrder, column_name="order_id", backref="fills")
    symbol = CharField()
    side = CharField()
    quantity = FloatField()
    price = FloatField()
    commission = FloatField(default=0.0)
    filled_at = UtcDateTimeField()

    class Meta:
        table_name = "paper_fills"


class FlattenJob(BaseModel):
    """A flatten kill: recorded before it starts, resumed at start until flat."""

    id = IntegerField(primary_key=True)
    requested_by = CharField()
    origin = CharField(null=True)
    requested_at = UtcDateTimeField()
    status = CharField()
    """running, done or failed."""
    detail = TextField(null=True)
    finished_at = UtcDateTimeField(null=True)

    class Meta:
        table_name = "flatten_jobs"


class BacktestRun(BaseModel):
    id = CharField(primary_key=True)
    created_at = UtcDateTimeField()
    actor = CharField()
    request = JsonField()
    status = CharField()
    """running, done or failed."""
    done = IntegerField(default=0)
    total = IntegerField(default=0)
    result = JsonField(null=True)
    error = TextField(null=True)
    finished_at = UtcDateTimeField(null=True)

    class Meta:
        table_name = "backtest_runs"


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Signal,
    Order,
    Fill,
    Position,
    Prediction,
    EquitySnapshot,
    SettingOverride,
    AuditEvent,
    Bar,
    BarCoverage,
    BotState,
    TelegramMessage,
    PaperAccount,
    PaperOrder,
    PaperPosition,
    PaperFill,
    FlattenJob,
    BacktestRun,
)
