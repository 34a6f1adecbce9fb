from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from core.data.csv_folder import CsvFormatError, CsvProvider, read_bars_csv

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 12, 31, tzinfo=UTC)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,1000\n2024-01-03,10.5,12,10,11,2000\n",
        "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,1000\n2024-01-03,10.5,12,10,11,2000\n",
        "timestamp,open,high,low,close,volume\n2024-01-02T00:00:00Z,10,11,9,10.5,1000\n2024-01-03T00:00:00Z,10.5,12,10,11,2000\n",
        "Datetime,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
        "2024-01-02 00:00:00-05:00,10,11,9,10.5,1000,0,0\n2024-01-03 00:00:00-05:00,10.5,12,10,11,2000,0,0\n",
        "Date, Open, High, Low, Close, Volume\n2024-01-02, 10, 11, 9, 10.5, 1000\n2024-01-03, 10.5, 12, 10, 11, 2000\n",
        "Date,Volume,Close,Open,Low,High\n2024-01-03,2000,11,10.5,10,12\n2024-01-02,1000,10.5,10,9,11\n",
    ],
    ids=["lower", "title", "timestamp", "yfinance-actions", "spaces", "shuffled-unsorted"],
)
def test_header_variants_give_the_same_bars(tmp_path: Path, text: str) -> None:
    bars = read_bars_csv(write(tmp_path, "X.csv", text))
    expected = pd.DataFrame(
        {
            "open": [10.0, 10.5],
            "high": [11.0, 12.0],
            "low": [9.0, 10.0],
            "close": [10.5, 11.0],
            "volume": [1000.0, 2000.0],
        },
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], tz=UTC, name="timestamp").as_unit(
            "ns"
        ),
    )
    pd.testing.assert_frame_equal(bars, expected)


def test_adjusted_close_scales_the_whole_bar(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10,5,1000\n"
    bars = read_bars_csv(write(tmp_path, "X.csv", text))
    assert bars.iloc[0].to_dict() == {
        "open": 5.0,
        "high": 5.5,
        "low": 4.5,
        "close": 5.0,
        "volume": 1000.0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("date,open,high,low,close,volume\n", "line 2: no data rows"),
        ("date,open,high,low,close\n2024-01-02,1,1,1,1\n", "line 1: missing column(s) volume"),
        (
            "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\nnot-a-date,1,1,1,1,1\n",
            "line 3: date 'not-a-date' is not a date",
        ),
        (
            "date,open,high,low,close,volume\n2024-01-02,1,1,1,abc,1\n",
            "line 2: close 'abc' is not a number",
        ),
        (
            "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,,1,1,1,1\n",
            "line 3: open is empty",
        ),
        ("date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1,9,9\n", "X.csv"),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-column",
        "bad-date",
        "bad-number",
        "empty-cell",
        "ragged",
    ],
)
def test_malformed_files_name_file_line_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "X.csv", text)
    with pytest.raises(CsvFormatError) as caught:
        read_bars_csv(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_provider_reads_a_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        "KO.csv",
        "date,open,high,low,close,volume\n2024-01-02,60,61,59,60.5,10\n"
        "2025-01-02,62,63,61,62.5,10\n",
    )
    provider = CsvProvider(tmp_path)
    bars = provider.get_bars(["KO", "MISSING"], START, END)
    assert len(bars["KO"]) == 1  # 2025 is outside the range
    assert bars["MISSING"].empty
    assert provider.latest_prices(["KO", "MISSING"]) == {"KO": 62.5}
