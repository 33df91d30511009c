"""Where batch work runs: a local Ray instance on this machine, or a cluster by its address.

Local mode starts Ray with as many worker slots as asked (default: the cores), no dashboard
and no log forwarding; a cluster is joined by ``ray://host:10001`` or ``host:6379`` (the
workers must import this project and read ``TREMPLIN_DATA_DIR``: the bundled model and the
embedding cache). Nothing here leaves the machine in local mode.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, Field

from tremplin.errors import UnavailableError

log = logging.getLogger(__name__)

Engine = Literal["ray", "loop"]


class BatchOptions(BaseModel):
    """How a batch job is spread."""

    engine: Engine = Field(
        default="ray", description="ray: Ray Data actors; loop: one process, the baseline."
    )
    address: str | None = Field(
        default=None, description="Ray cluster address (None: a local Ray on this machine)."
    )
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=4096)
    gpus_per_worker: float = Field(default=0.0, ge=0, le=8)
    batch_size: int = Field(default=256, ge=1, le=100_000)


@contextmanager
def ray_session(options: BatchOptions) -> Iterator[None]:
    """Ray initialised for ``options`` (and shut down after, when this call started it)."""
    import ray
    from ray.data import DataContext

    started = False
    if not ray.is_initialized():
        if options.address:
            try:
                ray.init(address=options.address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise UnavailableError(
                    f"cluster Ray injoignable à {options.address} : vérifiez l'adresse "
                    "(ray://hôte:10001 ou hôte:6379) et que le cluster tourne",
                    f"Ray cluster unreachable at {options.address}: {exc}",
                ) from None
        else:
            ray.init(
                num_cpus=options.workers,
                num_gpus=None if options.gpus_per_worker else 0,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                logging_level=logging.WARNING,
            )
        started = True
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def compute_options(options: BatchOptions) -> dict[str, object]:
    """The ``map_batches`` arguments of an actor pool of ``options.workers`` actors."""
    from ray.data import ActorPoolStrategy

    return {
        "compute": ActorPoolStrategy(size=options.workers),
        "num_cpus": 1,
        "num_gpus": options.gpus_per_worker,
        "batch_size": options.batch_size,
        "batch_format": "numpy",
    }
