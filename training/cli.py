"""``tremplin train``, ``promote``, ``rollback``, ``retrain`` and ``models`` (lazy heavy imports)."""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tremplin.cli_common import console, factory, fail
from tremplin.settings import Settings, get_settings

if TYPE_CHECKING:
    from training.evaluation import Truth
    from training.pipeline import TrainReport

HIDDEN_TRUTH_HELP = (
    "Noter aussi sur la vérité cachée de l'échantillon (données d'exemple seulement)."
)


def hidden_truth(enabled: bool) -> Truth | None:
    """The sample generator's hidden suitability as a truth function (None when disabled)."""
    if not enabled:
        return None
    from tremplin.sample.generator import suitability
    from tremplin.taxonomy import load_taxonomy

    tax = load_taxonomy()
    return lambda b, o: suitability(b, o, tax)[0]


def _audit_model_change(settings: Settings, what: str, version: str, detail: str) -> None:
    """An audit record for a promotion or a rollback made from the command line."""
    from serving.audit import AuditAction, record
    from serving.roles import Principal, Role
    from tremplin.store.db import transaction

    who = Principal(
        user_id=0, username=f"cli:{getpass.getuser()}", role=Role.ADMIN, credential_id=0
    )
    with transaction(factory(settings)) as session:
        record(
            session,
            who,
            f"cli-{uuid.uuid4().hex[:12]}",
            AuditAction.MODEL_CHANGE,
            subject=version,
            versions={"model": version},
            inputs={"operation": what, "detail": detail[:500]},
        )


def print_report(report: TrainReport) -> None:
    table = Table(title=f"{report.version} — notation : {report.grading}")
    keys = ("ndcg_at_10", "ndcg_exp_at_10", "ndcg_binary_at_10", "recall_at_10", "mrr")
    for column in ("méthode", "nDCG@10", "exp", "binaire", "R@10", "MRR", "expo. min"):
        table.add_column(column, no_wrap=column == "méthode")
    for m in report.methods:
        table.add_row(
            m.method.replace("tremplin-reranker/", "").replace(" (challenger)", " (nouveau)"),
            *(f"{m.metrics.get(k, 0):.4f}" for k in keys),
            f"{m.fairness.exposure_ratio_min:.3f}",
        )
    console.print(table)
    console.print(
        "gain sur la fusion : "
        + ", ".join(f"{k} {v:+.1%}" for k, v in report.gain_over_fusion.items())
    )
    if report.gate.accepted:
        console.print(f"[green]porte franchie[/] contre {report.gate.incumbent}")
    else:
        console.print(f"[yellow]refusé[/] : {'; '.join(report.gate.reasons)}")
    console.print(f"champion : {'oui' if report.promoted else 'non'} · run {report.run_id}")


def run_train(
    settings: Settings, use_truth: bool, promote: bool, margin: float | None
) -> TrainReport:
    from training.datasets import NotEnoughOutcomesError, load_outcome_data
    from training.pipeline import train as run_training
    from training.registry import GatePolicy

    policy = GatePolicy() if margin is None else GatePolicy(margin=margin)
    with factory(settings)() as session:
        data = load_outcome_data(session)
    try:
        report = run_training(
            settings, data, truth=hidden_truth(use_truth), policy=policy, auto_promote=promote
        )
    except NotEnoughOutcomesError as exc:
        raise fail(str(exc), 1) from None
    if report.promoted:
        _audit_model_change(settings, "promote", report.version, "gate passed")
    return report


def train(
    use_truth: Annotated[
        bool, typer.Option("--hidden-truth/--no-hidden-truth", help=HIDDEN_TRUTH_HELP)
    ] = False,
    promote: Annotated[
        bool, typer.Option(help="Promouvoir le modèle s'il franchit la porte.")
    ] = True,
    margin: Annotated[
        float | None, typer.Option(help="Gain relatif exigé sur le champion (0.01 = 1 %).")
    ] = None,
) -> None:
    """Entraîner le re-classeur sur les résultats, l'évaluer, l'enregistrer (MLflow) et
    le promouvoir s'il franchit la porte."""
    print_report(run_train(get_settings(), use_truth, promote, margin))


def promote(
    run: Annotated[str, typer.Option("--run", help="Identifiant du run MLflow.")],
    force: Annotated[
        bool, typer.Option(help="Promouvoir malgré un refus de la porte (audité).")
    ] = False,
) -> None:
    """Faire du modèle d'un run le champion (si la porte l'a accepté, ou avec --force)."""
    from training import registry

    settings = get_settings()
    c = registry.client(settings)
    try:
        version = registry.version_of_run(c, run)
        tags = version.tags or {}
        if tags.get("gate") != "accepted" and not force:
            raise fail(
                f"la porte a refusé {registry.version_label(version)} "
                f"({tags.get('gate_reason', '?')}) : ajoutez --force pour passer outre (audité)",
                1,
            )
        reason = "forced: " + tags.get("gate_reason", "") if force else "gate passed"
        before = registry.promote(c, version, reason)
    except registry.RegistryError as exc:
        raise fail(str(exc), 1) from None
    label = registry.version_label(version)
    _audit_model_change(settings, "promote_forced" if force else "promote", label, reason)
    was = registry.version_label(before) if before else "fusion"
    console.print(
        f"champion : {label} (avant : {was}) — rechargez l'API (POST /api/v1/admin/model/reload)"
    )


def rollback() -> None:
    """Rendre l'alias champion au champion précédent."""
    from training import registry

    settings = get_settings()
    try:
        restored, withdrawn = registry.rollback(registry.client(settings))
    except registry.RegistryError as exc:
        raise fail(str(exc), 1) from None
    label = registry.version_label(restored)
    _audit_model_change(settings, "rollback", label, f"from {registry.version_label(withdrawn)}")
    console.print(
        f"champion : {label} (retiré : {registry.version_label(withdrawn)}) — rechargez l'API"
    )


def retrain(
    min_new_outcomes: Annotated[
        int,
        typer.Option(
            min=1, help="Ré-entraîner seulement si au moins ce nombre d'événements sont arrivés."
        ),
    ] = 500,
    use_truth: Annotated[
        bool, typer.Option("--hidden-truth/--no-hidden-truth", help=HIDDEN_TRUTH_HELP)
    ] = False,
) -> None:
    """Pour cron : ré-entraîner quand assez de résultats sont arrivés, évaluer, passer la
    porte, promouvoir, et écrire un court rapport."""
    from training.scheduling import retrain_if_due

    settings = get_settings()
    outcome = retrain_if_due(
        settings, min_new_outcomes, lambda: run_train(settings, use_truth, True, None)
    )
    console.print(outcome.summary)
    console.print(f"rapport : {outcome.report_path}")


def models() -> None:
    """Lister les versions enregistrées, leur verdict et le champion."""
    from training import registry

    settings = get_settings()
    c = registry.client(settings)
    current = registry.champion(c)
    table = Table(title=registry.MODEL_NAME)
    for column in ("version", "run", "porte", "métrique", "promu le", "champion"):
        table.add_column(column)
    for v in sorted(
        c.search_model_versions(f"name='{registry.MODEL_NAME}'"), key=lambda v: -int(v.version)
    ):
        tags = v.tags or {}
        table.add_row(
            registry.version_label(v),
            v.run_id or "",
            tags.get("gate", "?"),
            tags.get(registry.GATE_METRIC_TAG, ""),
            tags.get("promoted_at", ""),
            "★" if current is not None and current.version == v.version else "",
        )
    console.print(table)
    console.print(f"suivi : {registry.tracking_uri(settings)} · {dt.date.today()}")


def finetune_encoder(
    pairs: Annotated[int, typer.Option(min=64, help="Paires de la taxonomie utilisées.")] = 6000,
    epochs: Annotated[int, typer.Option(min=1, max=20)] = 1,
    batch_size: Annotated[int, typer.Option(min=4, max=512)] = 32,
    titles: Annotated[
        int, typer.Option(min=20, max=5000, help="Intitulés tenus à l'écart pour l'évaluation.")
    ] = 600,
    seed: Annotated[int, typer.Option(help="Graine des intitulés tenus à l'écart.")] = 7,
    evaluate: Annotated[
        bool, typer.Option(help="Comparer la liaison d'intitulés avec l'encodeur fourni.")
    ] = True,
    device: Annotated[
        str | None, typer.Option(help="cpu ou cuda (défaut : cuda si disponible).")
    ] = None,
) -> None:
    """Affiner l'encodeur sur les paires françaises de la taxonomie et le comparer à
    l'encodeur fourni (liaison d'intitulés), suivi dans MLflow."""
    from training.encoder_finetune import FinetuneConfig, run_finetune

    settings = get_settings()
    config = FinetuneConfig(max_pairs=pairs, epochs=epochs, batch_size=batch_size, device=device)
    result = run_finetune(settings, config, titles, seed, evaluate)
    for key, value in sorted(result["metrics"].items()):
        console.print(f"{key} : {value:.4f}")
    console.print(f"run {result['run_id']} · modèle : {result['path']}")
    console.print(f"pour l'utiliser : TREMPLIN_MODEL_NAME={result['path']} tremplin index build")


def register(app: typer.Typer) -> None:
    """Add the training commands to the ``tremplin`` application."""
    app.command("train")(train)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("retrain")(retrain)
    app.command("models")(models)
    app.command("finetune-encoder")(finetune_encoder)
