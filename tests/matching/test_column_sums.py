"""Column sums: the same numbers as a sparse mat-vec, whatever the columns asked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import random as sparse_random

from matching.column_sums import ColumnSums, RowsBuilder


@pytest.mark.parametrize("binary", [True, False])
def test_sums_equal_the_sparse_matrix_product_with_an_indicator(binary: bool) -> None:
    rng = np.random.default_rng(3)
    matrix = sparse_random(2000, 300, density=0.02, format="csr", random_state=4)
    if binary:
        matrix.data[:] = 1.0
    columns = ColumnSums(matrix)
    assert (columns.weights is None) == binary
    for _ in range(10):
        asked = rng.choice(300, size=int(rng.integers(1, 40)), replace=True)  # repeats too
        indicator = np.zeros(300, dtype=np.float32)
        indicator[asked] = 1.0
        assert np.allclose(columns.sums(asked.tolist()), matrix @ indicator, atol=1e-5)
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    assert np.allclose(columns.row_totals, totals, atol=1e-5)
    # many short columns at once are gathered in one read, few ones sliced: the same sums
    assert np.allclose(columns.sums(range(300)), totals, atol=1e-5)
    assert np.allclose(columns.sums(range(150)) + columns.sums(range(150, 300)), totals, atol=1e-5)
    assert not columns.sums([]).any() and columns.sums([]).shape == (2000,)


def test_rows_built_one_at_a_time_keep_their_entries() -> None:
    builder = RowsBuilder()
    for row in ({0: 2.0, 3: 1.0}, {}, {3: 0.5}):
        builder.add(row)
    columns = builder.columns(4)
    assert columns.shape == (3, 4)
    assert columns.sums({3}).tolist() == [1.0, 0.0, 0.5]
    assert columns.sums(np.array([0, 3])).tolist() == [3.0, 0.0, 0.5]
    assert columns.row_totals.tolist() == [3.0, 0.0, 0.5]
    assert RowsBuilder().columns(0).sums([]).shape == (0,)
