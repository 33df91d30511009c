"""Sparse matrices stored column by column, read as sums of a few columns over every row.

A person holds a dozen skills and a query has a handful of terms, while a catalogue has up to
a million rows: summing the few columns a query touches (one ``ufunc.at`` pass over their
entries) costs a fraction of a full sparse mat-vec, and the arrays are narrower (int32 rows,
no weights when every entry is 1).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, sparray, spmatrix

MANY_COLUMNS = 32  # above this many columns asked at once...
SHORT_COLUMN = 256  # ...of fewer entries than this on average, entries are gathered at once


class ColumnSums:
    """A sparse matrix kept column-major for :meth:`sums` of some of its columns."""

    def __init__(self, matrix: spmatrix | sparray) -> None:
        csc = csc_matrix(matrix, dtype=np.float32)
        csc.sum_duplicates()
        self.shape: tuple[int, int] = (int(csc.shape[0]), int(csc.shape[1]))
        self.indptr = np.asarray(csc.indptr, dtype=np.int64)
        self.rows = np.asarray(csc.indices, dtype=np.int32)
        data = np.asarray(csc.data, dtype=np.float32)
        # 0/1 matrices (skills required, taught) keep no weights at all
        self.weights: np.ndarray | None = None if bool(np.all(data == 1.0)) else data
        self.row_totals = _per_row(self.rows, self.weights, self.shape[0])

    def sums(self, columns: Iterable[int] | np.ndarray) -> np.ndarray:
        """Per row, the sum of its entries in ``columns`` (float32; each column counted once)."""
        cols = np.unique(np.fromiter(columns, dtype=np.int64))
        n = self.shape[0]
        if not len(cols):
            return np.zeros(n, dtype=np.float32)
        starts, ends = self.indptr[cols], self.indptr[cols + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if len(cols) > MANY_COLUMNS and total < SHORT_COLUMN * len(cols):
            # many short columns (a long query over a small corpus): one gather of their
            # entries, as slicing each column costs more than its few entries
            at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
            rows = self.rows[at]
            weights = None if self.weights is None else self.weights[at]
        else:  # few or long columns: their slices joined (a copy at memory speed)
            spans = [slice(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
            rows = np.concatenate([self.rows[s] for s in spans])
            weights = (
                None if self.weights is None else np.concatenate([self.weights[s] for s in spans])
            )
        return _per_row(rows, weights, n)


def _per_row(rows: np.ndarray, weights: np.ndarray | None, n: int) -> np.ndarray:
    """The sum of ``weights`` (1 each when None) per row number, over ``n`` rows (float32).

    ``ufunc.at`` with an array of float32 weights is the fast way, measured on 388,000 int32
    rows: 0.9 ms, against 1.3 ms for ``bincount`` with its casts done first (3.3 ms when it
    casts int32/float32 itself, and one more pass over every row to make float32 of its
    float64) and 27 ms for ``ufunc.at`` with a scalar."""
    out = np.zeros(n, dtype=np.float32)
    np.add.at(out, rows, np.ones(len(rows), dtype=np.float32) if weights is None else weights)
    return out


class RowsBuilder:
    """A sparse matrix built one row at a time in compact C arrays: no Python object is kept
    per entry (a million offers' rows as dicts held ~1 GB at the build's peak)."""

    def __init__(self) -> None:
        self.indptr = array("q", [0])
        self.indices = array("i")
        self.data = array("f")

    def add(self, row: dict[int, float]) -> None:
        """Append one row (column -> value)."""
        self.indices.extend(row.keys())
        self.data.extend(row.values())
        self.indptr.append(len(self.indices))

    def columns(self, width: int) -> ColumnSums:
        """The rows, ``width`` columns wide, kept column-major."""
        return ColumnSums(
            csr_matrix(
                (
                    np.frombuffer(self.data, dtype=np.float32),
                    np.frombuffer(self.indices, dtype=np.int32),
                    np.frombuffer(self.indptr, dtype=np.int64),
                ),
                shape=(len(self.indptr) - 1, width),
            )
        )
