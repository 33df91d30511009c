"""The fine-tuned encoder in the MLflow registry, its gate, and what the engine serves.

Every fine-tuning run registers its encoder (the sentence-transformers folder with the blends
fitted for it) as a version of :data:`ENCODER_MODEL`. The gate compares it with the bundled
encoder on the external suites' dev side that neither the encoder nor its blends were chosen
on... in the same run, with the blends of each. Promotion moves the ``champion`` alias,
downloads the version under ``<models>/registry/`` and writes the pointer file that
:func:`matching.encoder.served_model_name` reads: the next engine load serves it and rebuilds
the opportunity index under its version, with no setting to change. Rollback restores the
previous champion, or the bundled encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from matching.encoder import SERVED_POINTER
from training import registry
from tremplin.errors import RegistryError
from tremplin.settings import Settings

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from training.suites.runner import ExternalReport

ENCODER_MODEL = "tremplin-encoder"


class EncoderGatePolicy(BaseModel):
    """When a fine-tuned encoder may replace the served one."""

    margin: float = Field(default=0.005, ge=0, description="Title-linking gain required.")
    tolerance: float = Field(
        default=0.02, ge=0, description="Largest drop accepted on any one suite."
    )


class EncoderVerdict(BaseModel):
    """The encoder gate's verdict and the figures it read."""

    accepted: bool
    reasons: list[str]
    served: dict[str, float]
    challenger: dict[str, float]


def headline(report: ExternalReport, split: str = "dev") -> dict[str, float]:
    """The figures the gate reads: per suite, the engine's success@1 (titles) and the fusion's
    nDCG@10 (shortlists), and their means."""
    out: dict[str, float] = {}
    for row in report.titles:
        if row.split == split and row.method == "engine":
            out[f"titles.{row.suite}"] = row.value("success_at_1")
    for row in report.shortlists:
        if row.split == split and row.method == "fusion":
            out[f"shortlists.{row.suite}"] = row.value("ndcg_at_10")
    for task in ("titles", "shortlists"):
        values = [v for k, v in out.items() if k.startswith(task + ".")]
        out[f"{task}.mean"] = round(mean(values), 4) if values else 0.0
    return out


def encoder_gate(
    served: ExternalReport, challenger: ExternalReport, policy: EncoderGatePolicy
) -> EncoderVerdict:
    """Accept when title linking gains the margin, shortlists do not lose it, and no suite
    drops by more than the tolerance."""
    old, new = headline(served), headline(challenger)
    reasons: list[str] = []
    if not old or not new:
        reasons.append("rien de mesurable / nothing measured")
    if new.get("titles.mean", 0.0) < old.get("titles.mean", 0.0) + policy.margin:
        reasons.append(
            f"liaison d'intitulés {new.get('titles.mean', 0):.4f} < "
            f"{old.get('titles.mean', 0):.4f} + {policy.margin}"
        )
    if new.get("shortlists.mean", 0.0) < old.get("shortlists.mean", 0.0) - policy.margin:
        reasons.append(
            f"shortlists {new.get('shortlists.mean', 0):.4f} < {old.get('shortlists.mean', 0):.4f}"
        )
    for key, before in old.items():
        if not key.endswith(".mean") and new.get(key, 0.0) < before - policy.tolerance:
            reasons.append(f"{key} {new.get(key, 0):.4f} < {before:.4f} - {policy.tolerance}")
    return EncoderVerdict(accepted=not reasons, reasons=reasons, served=old, challenger=new)


def register_encoder(c: MlflowClient, run_id: str, verdict: EncoderVerdict) -> ModelVersion:
    """Register the run's ``encoder/`` artifact as a new version, with the gate's verdict."""
    from mlflow.exceptions import MlflowException

    try:
        c.get_registered_model(ENCODER_MODEL)
    except MlflowException:
        c.create_registered_model(ENCODER_MODEL)
    run = c.get_run(run_id)
    version = c.create_model_version(
        ENCODER_MODEL, source=f"{run.info.artifact_uri}/encoder", run_id=run_id
    )
    c.set_model_version_tag(
        ENCODER_MODEL, version.version, "gate", "accepted" if verdict.accepted else "rejected"
    )
    c.set_model_version_tag(
        ENCODER_MODEL, version.version, "gate_reason", "; ".join(verdict.reasons) or "ok"
    )
    return version


def _materialise(settings: Settings, version: ModelVersion) -> Path:
    """Download a registered encoder under the models folder (once) and point the engine at it."""
    import mlflow.artifacts

    assert settings.models_dir is not None
    target = settings.models_dir / "registry" / f"encoder-v{version.version}"
    if not (target / "encoder" / "modules.json").is_file():
        target.mkdir(parents=True, exist_ok=True)
        mlflow.artifacts.download_artifacts(artifact_uri=version.source, dst_path=str(target))
    path = target / "encoder"
    if not (path / "modules.json").is_file():
        raise RegistryError(
            f"la version {version.version} n'a pas d'encodeur lisible", f"no encoder in {path}"
        )
    pointer = settings.models_dir / SERVED_POINTER
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"path": str(path), "registry_version": version.version}, indent=2),
        encoding="utf-8",
    )
    tmp.replace(pointer)
    return path


def promote_encoder(settings: Settings, run_id: str, reason: str, force: bool = False) -> Path:
    """Make the run's encoder the champion (its gate must have accepted it unless ``force``)
    and serve it; returns its folder."""
    c = registry.client(settings)
    version = registry.version_of_run(c, run_id, ENCODER_MODEL)
    if (version.tags or {}).get("gate") != "accepted" and not force:
        raise RegistryError(
            f"{registry.version_label(version, ENCODER_MODEL)} n'a pas franchi la porte "
            f"({(version.tags or {}).get('gate_reason', '?')}) : --force pour passer outre",
            "the encoder gate refused this run",
        )
    registry.promote(c, version, reason, model=ENCODER_MODEL)
    return _materialise(settings, version)


def rollback_encoder(settings: Settings) -> str:
    """Serve the previous champion encoder, or the bundled one when there was none; returns
    what is served now."""
    c = registry.client(settings)
    current = registry.champion(c, ENCODER_MODEL)
    if current is None:
        raise RegistryError("aucun encodeur affiné n'est servi", "no fine-tuned encoder is served")
    if (current.tags or {}).get("previous_champion"):
        restored, _ = registry.rollback(c, ENCODER_MODEL)
        _materialise(settings, restored)
        return registry.version_label(restored, ENCODER_MODEL)
    c.delete_registered_model_alias(ENCODER_MODEL, registry.CHAMPION)
    assert settings.models_dir is not None
    (settings.models_dir / SERVED_POINTER).unlink(missing_ok=True)
    return "bundled"
