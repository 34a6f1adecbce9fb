"""Samples cut down to what one task reads, so a worker process is sent a few MB
rather than the whole universe for every task.

A task names its samples by row number (`rows`, into `Samples.index`). `take` selects
them from the full samples (in this process, or on a cluster worker that holds the full
samples once); `pack` copies them out together with the feature rows they read — each
sample's own row and, for the LSTM's sequences, the `lookback - 1` rows behind it — and
renumbers the rows. A model fit on a packed sample set sees exactly the same numbers in
the same order as one fit on the full set, so its predictions are identical.
"""

from __future__ import annotations

import numpy as np

from ml.dataset import Samples


def take(samples: Samples, rows: np.ndarray) -> Samples:
    """The samples at `rows`, in that order (`Samples.subset` wants a mask, which
    cannot reorder or repeat)."""
    chosen = samples.index.iloc[np.asarray(rows, dtype=np.int64)].reset_index(drop=True)
    return Samples(
        samples.matrix,
        chosen,
        samples.lookback,
        samples.horizon,
        samples.feature_names,
        samples.target,
    )


def pack(samples: Samples, *row_sets: np.ndarray) -> tuple[Samples, list[np.ndarray]]:
    """A self-contained copy holding only the samples of `row_sets` (one after the
    other) and the feature rows they read; the row sets renumbered into it."""
    sizes = [len(rows) for rows in row_sets]
    chosen = np.concatenate([np.asarray(rows, dtype=np.int64) for rows in row_sets])
    index = samples.index.iloc[chosen].reset_index(drop=True)
    positions = index["position"].to_numpy(dtype=np.int64)
    # Each sample reads matrix rows position - lookback + 1 … position: mark those runs
    # with +1 at their start and -1 after their end; a positive running sum is "read".
    edges = np.zeros(len(samples.matrix) + 1, dtype=np.int64)
    np.add.at(edges, positions - (samples.lookback - 1), 1)
    np.add.at(edges, positions + 1, -1)
    needed = np.flatnonzero(np.cumsum(edges[:-1]) > 0)
    # A run of consecutive matrix rows stays consecutive, so sequences stay intact.
    index["position"] = np.searchsorted(needed, positions)
    packed = Samples(
        np.ascontiguousarray(samples.matrix[needed]),
        index,
        samples.lookback,
        samples.horizon,
        samples.feature_names,
        samples.target,
    )
    bounds = np.cumsum([0, *sizes])
    renumbered = [np.arange(bounds[k], bounds[k + 1]) for k in range(len(sizes))]
    return packed, renumbered
