"""Domain types shared by every package: enums and immutable records.

Core base module: imports nothing from other stockbot packages. Records are frozen
pydantic models so a value handed from the pipeline to a front end cannot be changed
behind the pipeline's back, and invalid values fail where they are created.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.]{0,9}$"
CLIENT_ORDER_ID_MAX_LENGTH = 48


class TradingMode(StrEnum):
    """Who decides whether a signal becomes an order."""

    AUTO = "auto"
    MANUAL = "manual"
    HYBRID = "hybrid"


class SignalType(StrEnum):
    BUY = "buy"
    SELL = "sell"
    HOLD = "hold"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class OrderStatus(StrEnum):
    """Lifecycle of a signal and of the order it becomes (DESIGN §4)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.FILLED,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
    }
)

# The only moves a status may make; anything else is a bug, not a race.
ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
    ),
    OrderStatus.APPROVED: frozenset(
        {OrderStatus.SUBMITTED, OrderStatus.FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SUBMITTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.FAILED,
            OrderStatus.CANCELLED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED}
    ),
}


def is_allowed_transition(from_status: OrderStatus, to_status: OrderStatus) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


class PositionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TradingState(StrEnum):
    """Whether orders may leave the process (DESIGN §5).

    ACTIVE: everything allowed. REDUCING: only orders that shrink a position.
    HALTED: nothing new; cancels and, for a flatten kill, closing orders only.
    """

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class KillScope(StrEnum):
    """`stop` halts and cancels open entry orders but keeps protective stops; `flatten`
    cancels every order, protective stops included, then closes every position."""

    STOP = "stop"
    FLATTEN = "flatten"


class ExitReason(StrEnum):
    """Why an order was sent, and so why the position it closed was closed."""

    SIGNAL = "signal"
    STOP = "stop"
    TRAILING_STOP = "trailing_stop"
    TIME = "time"
    """The plan's time exit (`stops.max_holding_sessions`)."""
    FLATTEN = "flatten"
    BROKER = "broker"
    """Closed at the broker by someone else (found by reconciliation)."""


Symbol = Annotated[str, Field(pattern=SYMBOL_PATTERN, description="Ticker, e.g. PLTR or BRK.B")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
PositivePrice = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
PositiveQuantity = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Money = Annotated[float, Field(allow_inf_nan=False)]


class Record(BaseModel):
    """Base for domain records: immutable, no unknown fields, finite floats."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class FeatureContribution(Record):
    """One reason behind a prediction: a feature and how far it pushed the model."""

    name: str = Field(min_length=1)
    value: Money
    """The feature's value at the predicted bar."""
    contribution: Money
    """Signed push towards "up" (positive) or "down" (negative), in log-odds."""


class ModelPrediction(Record):
    """The ensemble's view of one symbol at one bar."""

    symbol: Symbol
    timestamp: AwareDatetime
    """Close time of the last bar the prediction used."""
    horizon: int = Field(default=1, ge=1)
    """Label horizon in sessions."""
    probability_up: Probability
    """Calibrated probability that the close `horizon` sessions ahead is higher."""
    model_probabilities: dict[str, Probability] = Field(default_factory=dict)
    """Each model's calibrated probability of "up"."""
    agreement: Probability = 1.0
    """Share of models that agree with the ensemble's direction."""
    top_features: tuple[FeatureContribution, ...] = ()
    model_run_id: str | None = None
    target: str | None = Field(default=None, pattern=r"^(plan|direction)$")
    """What `probability_up` is the probability of. plan: the trade of the bot's plan
    (next-open entry, its stop and trailing stop, the time exit, costs) ends in profit;
    direction: the close `horizon` sessions ahead is higher. None: a run from before."""
    expected_r: Money | None = None
    """Expected R multiple of the plan's trade (profit in units of its planned risk, net
    of costs), as the model sees it."""
    base_rate: Probability | None = None
    """The plan's P(profit) when taking every trade, on the model's symbols over its
    training history: what `probability_up` must beat to mean anything."""
    typical_r: Money | None = None
    """Mean R of taking every trade of the plan over the training history."""
    selection_threshold: Probability | None = None
    """The P(profit) from which the model would take the trade: its hold-out base rate
    plus a margin, never an absolute bar."""

    @property
    def direction(self) -> SignalType:
        return SignalType.BUY if self.probability_up >= 0.5 else SignalType.SELL

    @property
    def confidence(self) -> float:
        """Probability of the predicted direction: 0.5 means no idea."""
        return max(self.probability_up, 1.0 - self.probability_up)


class TradingSignal(Record):
    """A decision proposal for one symbol, sized by risk, awaiting routing by mode."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    symbol: Symbol
    signal_type: SignalType
    confidence: Probability
    price: PositivePrice
    """Reference price (last quote) the signal was sized at."""
    quantity: int = Field(ge=0)
    """Whole shares; 0 only when sizing refused the trade (see `reasons`)."""
    stop_price: PositivePrice | None = None
    risk_amount: Money = 0.0
    """Dollars lost if the stop is hit."""
    mode: TradingMode
    status: OrderStatus = OrderStatus.PENDING
    created_at: AwareDatetime
    expires_at: AwareDatetime
    reasons: tuple[str, ...] = ()
    prediction: ModelPrediction | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        if self.prediction is not None and self.prediction.symbol != self.symbol:
            raise ValueError("prediction.symbol must equal the signal's symbol")
        if self.signal_type is SignalType.HOLD and self.quantity != 0:
            raise ValueError("a HOLD signal has quantity 0")
        return self


class Position(Record):
    symbol: Symbol
    quantity: PositiveQuantity
    avg_entry_price: PositivePrice
    current_price: PositivePrice | None = None
    stop_price: PositivePrice | None = None
    trailing_stop: PositivePrice | None = None
    status: PositionStatus = PositionStatus.OPEN
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None = None

    @property
    def market_value(self) -> float:
        return self.quantity * (self.current_price or self.avg_entry_price)

    @property
    def unrealized_pnl(self) -> float:
        if self.current_price is None:
            return 0.0
        return self.quantity * (self.current_price - self.avg_entry_price)


class Order(Record):
    client_order_id: str = Field(
        min_length=1, max_length=CLIENT_ORDER_ID_MAX_LENGTH, pattern=r"^[A-Za-z0-9_.-]+$"
    )
    symbol: Symbol
    side: OrderSide
    order_type: OrderType = OrderType.MARKET
    quantity: PositiveQuantity
    limit_price: PositivePrice | None = None
    stop_price: PositivePrice | None = None
    status: OrderStatus = OrderStatus.APPROVED
    signal_id: str | None = None
    broker_order_id: str | None = None
    filled_quantity: float = Field(default=0.0, ge=0.0)
    filled_avg_price: PositivePrice | None = None
    created_at: AwareDatetime
    submitted_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError("a limit order needs limit_price")
        if self.order_type is OrderType.STOP and self.stop_price is None:
            raise ValueError("a stop order needs stop_price")
        if self.filled_quantity > self.quantity:
            raise ValueError("filled_quantity cannot exceed quantity")
        return self


class Fill(Record):
    client_order_id: str = Field(min_length=1, max_length=CLIENT_ORDER_ID_MAX_LENGTH)
    symbol: Symbol
    side: OrderSide
    quantity: PositiveQuantity
    price: PositivePrice
    commission: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    timestamp: AwareDatetime


class RiskMetrics(Record):
    """A snapshot of the account as risk sees it."""

    equity: Money
    cash: Money
    exposure: Money = 0.0
    """Market value of open positions."""
    daily_pnl: Money = 0.0
    daily_pnl_pct: Money = 0.0
    open_positions: int = Field(default=0, ge=0)
    available_positions: int = Field(default=0, ge=0)
    """How many more positions the limit allows."""
    portfolio_risk: Money = 0.0
    """Sum of open positions' stop risk as a share of equity."""
    sharpe: Money | None = None
    sortino: Money | None = None
    max_drawdown: Money | None = None
    win_rate: Probability | None = None
    profit_factor: float | None = Field(default=None, ge=0.0)
    average_r: Money | None = None
    timestamp: datetime | None = None


class TradingStatus(Record):
    """The trading state with who set it, why and when (persisted; survives restarts)."""

    state: TradingState
    changed_by: str = Field(min_length=1)
    reason: str
    changed_at: AwareDatetime
