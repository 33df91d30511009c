"""Reading the model registry: which re-ranker is the champion, and loading it.

Serving, benchmarks and evaluation only read the registry; writing to it (registering,
the gate, promotion, rollback) is training's job (:mod:`training.registry`). A registered
re-ranker is loaded with the feature list it was trained on (the run's ``features.json``):
a model logged with another list than the engine computes is refused
(:class:`~matching.reranker.FeatureMismatchError`) rather than fed misaligned columns, and a
champion Tremplin did not promote through its gate (an alias moved by hand) is not served.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.reranker import FeatureMismatchError, Reranker, SklearnReranker
from tremplin.settings import Settings

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

MODEL_NAME = "tremplin-reranker"
CHAMPION = "champion"
FEATURES_ARTIFACT = "features.json"


def tracking_uri(settings: Settings) -> str:
    """Where runs are tracked: the settings' store (``TREMPLIN_MLFLOW_TRACKING_URI``; MLflow's own
    ``MLFLOW_TRACKING_URI``, which MLflow itself exports once a store is used, is not read)."""
    return settings.mlflow_tracking_uri


def client(settings: Settings) -> MlflowClient:
    """An MLflow client on the configured tracking store and registry."""
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(settings)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def version_label(version: ModelVersion | str, model: str = MODEL_NAME) -> str:
    """How a version is reported to people: ``tremplin-reranker/v3``."""
    number = version if isinstance(version, str) else version.version
    return f"{model}/v{number}"


def champion(c: MlflowClient, model: str = MODEL_NAME) -> ModelVersion | None:
    """The champion's version, or None when none was promoted."""
    from mlflow.exceptions import MlflowException

    try:
        return c.get_model_version_by_alias(model, CHAMPION)
    except MlflowException:
        return None


def load_version(c: MlflowClient, version: ModelVersion) -> SklearnReranker:
    """The re-ranker of a registered version."""
    import mlflow.sklearn

    model: Any = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version.version}")
    return SklearnReranker(model, version_label(version), logged_features(c, version))


def logged_features(c: MlflowClient, version: ModelVersion) -> list[str]:
    """The feature list a registered version was trained on (its run's ``features.json``)."""
    if not version.run_id:
        raise FeatureMismatchError(
            f"{version_label(version)} n'a pas de run d'entraînement / has no training run"
        )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = c.download_artifacts(version.run_id, FEATURES_ARTIFACT, tmp)
            names = json.loads(Path(path).read_text(encoding="utf-8"))
        except Exception as exc:  # absent or unreadable: the columns cannot be checked
            raise FeatureMismatchError(
                f"{version_label(version)} n'a pas de liste de variables lisible "
                f"({FEATURES_ARTIFACT}) ; ré-entraînez-le (tremplin train) / no readable "
                f"feature list logged: {exc}"
            ) from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise FeatureMismatchError(
            f"{FEATURES_ARTIFACT} de {version_label(version)} n'est pas une liste de noms / "
            "is not a list of names"
        )
    return names


class ChampionRefusedError(RuntimeError):
    """The registry's champion may not be served (the message says why and what to do)."""


PROMOTED_VERDICTS = frozenset({"pass", "forced"})


def refusal(version: ModelVersion) -> str | None:
    """Why a champion version may not be served from its tags (None: it may, if its audit
    record exists): promoted by Tremplin on a passing verdict or forced, with an audit id."""
    tags = version.tags or {}
    label = version_label(version)
    if tags.get("promotion_verdict") not in PROMOTED_VERDICTS or not tags.get("promotion_audit"):
        return (
            f"{label} porte l'alias {CHAMPION} sans promotion auditée de Tremplin (verdict de la "
            f"porte : {tags.get('gate', 'aucun')}) : l'alias a été posé hors de Tremplin ; "
            "promouvez avec « tremplin promote » / alias set outside Tremplin's gated promotion"
        )
    return None


def load_champion(
    settings: Settings,
    current: Reranker | None = None,
    audited: Callable[[str], bool] | None = None,
) -> Reranker | None:
    """The champion re-ranker, or None when the registry has none (the fusion serves then).

    A champion is refused (:class:`ChampionRefusedError`) unless Tremplin promoted it — on a
    passing gate verdict or forced, audited — and ``audited`` (when given) finds its audit
    record; one logged with another feature list than the engine's is refused too.
    ``current`` is returned as it is when it already is the champion: reloading the engine
    after opportunity writes does not read the model again.
    """
    if not _store_exists(settings):
        return None
    c = client(settings)
    version = champion(c)
    if version is None:
        return None
    why = refusal(version)
    if why is None and audited is not None:
        request_id = (version.tags or {}).get("promotion_audit", "")
        if not audited(request_id):
            why = (
                f"{version_label(version)} : aucune trace d'audit {request_id} de sa promotion "
                "dans cette base ; promouvez avec « tremplin promote » / no audit record"
            )
    if why is not None:
        raise ChampionRefusedError(why)
    if current is not None and current.version == version_label(version):
        return current
    try:
        return load_version(c, version)
    except FeatureMismatchError as exc:
        raise ChampionRefusedError(str(exc)) from None


def _store_exists(settings: Settings) -> bool:
    uri = tracking_uri(settings)
    return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).is_file()
