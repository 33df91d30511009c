"""Vectors in Parquet: a fixed-size list column of float32, written and read back whole."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq


def vector_column(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """An Arrow column of one fixed-size float32 list per row of ``vectors``."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dim)


def vectors_of(table: pa.Table, column: str = "vector") -> np.ndarray:
    """The float32 matrix of a fixed-size list column."""
    values = table.column(column).combine_chunks()
    dim = values.type.list_size
    return np.asarray(values.flatten(), dtype=np.float32).reshape(-1, dim)


def private_folder(path: Path) -> Path:
    """``path`` created readable by this user only (batch outputs name people by key)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_table(table: pa.Table, folder: Path, name: str = "part-00000.parquet") -> Path:
    """Write ``table`` as one Parquet file in ``folder``."""
    path = private_folder(folder) / name
    pq.write_table(table, path)
    return path


def read_folder(folder: Path) -> pa.Table:
    """Every Parquet file of ``folder`` as one table."""
    return pads.dataset(str(folder), format="parquet").to_table()
