"""Stored timestamps: what `to_utc_text` writes reads back as the same instant in UTC,
and text of any other shape is refused rather than guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.fields import from_utc_text, to_utc_text

NEW_YORK_SUMMER = timezone(timedelta(hours=-4))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 7, 8, 13, 20, tzinfo=UTC),
        datetime(2024, 7, 8, 13, 20, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 7, 8, 9, 30, 15, 250_000, tzinfo=NEW_YORK_SUMMER),
    ],
)
def test_written_text_reads_back_as_the_same_instant_in_utc(moment: datetime) -> None:
    text = to_utc_text(moment)
    read = from_utc_text(text)
    assert read == moment
    assert read.utcoffset() == timedelta(0)
    assert to_utc_text(read) == text


@pytest.mark.parametrize(
    "text",
    [
        "2024-07-08T13:20:00Z",
        "2024-07-08 13:20:00.000000Z",
        "2024-07-08T13:20:00.000000+00:00",
        "2024-07-08T13:20:00.000000",
        "not a time at all, 27 chars",
    ],
)
def test_text_of_another_shape_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="does not match format"):
        from_utc_text(text)
