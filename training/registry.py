"""MLflow tracking and model registry: one registered model, a ``champion`` alias, a gate.

Tracking goes to the settings' store (``TREMPLIN_MLFLOW_TRACKING_URI``; default SQLite at
``<data_dir>/mlflow.db`` with artifacts under ``<data_dir>/mlflow-artifacts``). Every trained
re-ranker is registered as a new version of :data:`MODEL_NAME`; the gate's verdict
(:mod:`training.gate`) is written on the run and on the version as tags, its checks as the
run's ``gate.json``. Promotion moves the ``champion`` alias and remembers the
champion it replaced on the new version (tag ``previous_champion``), which is what
:func:`rollback` goes back to.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.champion import (  # the registry's read side, shared with serving
    CHAMPION as CHAMPION,
)
from matching.champion import (
    MODEL_NAME as MODEL_NAME,
)
from matching.champion import (
    champion as champion,
)
from matching.champion import (
    client as client,
)
from matching.champion import (
    tracking_uri as tracking_uri,
)
from matching.champion import (
    version_label as version_label,
)
from tremplin.errors import RegistryError as RegistryError  # the registry's failures
from tremplin.settings import Settings

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)

EXPERIMENT = "tremplin-reranker"
GATE_METRIC_TAG = "gate_metric"


def model_requirements() -> list[str]:
    """The pip requirements logged with a re-ranker: the libraries its pickle-free (skops)
    file needs, pinned to the versions that wrote it (MLflow's own inference imports the
    whole environment and costs seconds per run)."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "numpy", "scipy", "skops")]


def git_commit() -> str:
    """The code version (git commit, with '+dirty' for uncommitted changes), or 'unknown'."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


@contextmanager
def tracked_run(settings: Settings, experiment: str, tags: dict[str, str]) -> Iterator[Any]:
    """An MLflow run in ``experiment`` (created on first use), tagged with the code version."""
    import mlflow

    c = client(settings)
    with mlflow.start_run(experiment_id=experiment_id(settings, c, experiment)) as run:
        mlflow.set_tags({"git_commit": git_commit(), **tags})
        yield run


def artifact_root(settings: Settings) -> Path:
    """Where local runs keep their artifacts."""
    return (settings.data_dir / "mlflow-artifacts").resolve()


def experiment_id(settings: Settings, c: MlflowClient, name: str = EXPERIMENT) -> str:
    """The id of experiment ``name``, created (with local artifacts) on first use."""
    found = c.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if tracking_uri(settings).startswith("sqlite:"):
        artifact_root(settings).mkdir(parents=True, exist_ok=True)
        location = artifact_root(settings).as_uri()
    return str(c.create_experiment(name, artifact_location=location))


def version_of_run(c: MlflowClient, run_id: str, model: str = MODEL_NAME) -> ModelVersion:
    """The registered version logged by ``run_id``."""
    found = c.search_model_versions(f"name='{model}' and run_id='{run_id}'")
    if not found:
        raise RegistryError(
            f"aucune version de {model} pour le run {run_id} : vérifiez l'identifiant "
            "(tremplin models)",
            f"no registered version for run {run_id}",
        )
    return found[0]


def promote(
    c: MlflowClient, version: ModelVersion, reason: str, model: str = MODEL_NAME
) -> ModelVersion | None:
    """Make ``version`` the champion; returns the champion it replaced."""
    before = champion(c, model)
    if before is not None and before.version == version.version:
        raise RegistryError(
            f"{version_label(version, model)} est déjà le champion", "already champion"
        )
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    c.set_model_version_tag(model, version.version, "promoted_at", now)
    c.set_model_version_tag(model, version.version, "promotion_reason", reason)
    c.set_model_version_tag(
        model, version.version, "previous_champion", str(before.version) if before else ""
    )
    c.set_registered_model_alias(model, CHAMPION, version.version)
    log.info("champion: %s (was %s)", version.version, before.version if before else None)
    return before


def rollback(c: MlflowClient, model: str = MODEL_NAME) -> tuple[ModelVersion, ModelVersion]:
    """Give the alias back to the champion the current one replaced: (restored, withdrawn)."""
    current = champion(c, model)
    if current is None:
        raise RegistryError("aucun champion à retirer", "no champion to roll back")
    previous = (current.tags or {}).get("previous_champion", "")
    if not previous:
        raise RegistryError(
            f"{version_label(current, model)} n'a pas de champion précédent : promouvez une autre "
            "version (tremplin promote)",
            "no previous champion to go back to",
        )
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    c.set_model_version_tag(model, current.version, "rolled_back_at", now)
    c.set_registered_model_alias(model, CHAMPION, previous)
    return c.get_model_version(model, previous), current
