"""``tremplin train``, ``promote``, ``rollback``, ``retrain`` and ``models`` (lazy heavy imports)."""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from tremplin.settings import Settings, get_settings
from tremplin_cli.common import console, factory, fail

if TYPE_CHECKING:
    from training.evaluation import Truth
    from training.gate import GateDecision
    from training.pipeline import TrainReport

HIDDEN_TRUTH_HELP = (
    "Noter sur la vérité cachée de l'échantillon (refusé si les données ne sont pas exactement "
    "celles du générateur)."
)
LABELS_HELP = (
    "Apprendre les étiquettes jusqu'à cette étape seulement (proposed, applied, interview, "
    "hired) : quand l'audit des étiquettes trouve un écart à une étape, ne pas l'apprendre."
)


def hidden_truth(enabled: bool, settings: Settings | None = None) -> Truth | None:
    """The sample generator's hidden suitability as a truth function (None when disabled);
    with ``settings``, refused (exit 2) unless the store holds exactly the generator's data."""
    if not enabled:
        return None
    if settings is not None:
        from training.promotion import generator_truth

        return generator_truth(settings)  # refused unless the store holds the generator's data
    from tremplin.sample.truth import truth_function
    from tremplin.taxonomy import load_taxonomy

    return truth_function(load_taxonomy())


def _stage(name: str) -> int:
    from training.labels import STAGE_NAMES

    if name not in STAGE_NAMES:
        raise fail(f"--labels-up-to {name!r} inconnu : donnez {', '.join(STAGE_NAMES)}", 2)
    return STAGE_NAMES[name]


RunOption = Annotated[str, typer.Option("--run", help="Identifiant du run MLflow.")]
ForceOption = Annotated[
    bool, typer.Option(help="Promouvoir malgré le verdict de la porte (audité, --reason requis).")
]
ReasonOption = Annotated[
    str | None, typer.Option(help="Pourquoi forcer la promotion (écrit dans l'audit).")
]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _audit_model_change(settings: Settings, what: str, version: str, detail: str) -> None:
    """An audit record for an encoder promotion or rollback made from the command line, under
    the system actor ``cli:<user>``; ``version`` is the encoder made current."""
    from tremplin.actors import system_actor
    from tremplin.audit import AuditAction, record
    from tremplin.store.db import transaction

    with transaction(factory(settings)) as session:
        record(
            session,
            system_actor(_actor()),
            f"cli-{uuid.uuid4().hex[:12]}",
            AuditAction.MODEL_CHANGE,
            subject=version,
            inputs={"operation": what, "version": version, "detail": detail[:500]},
        )


VERDICT_STYLE = {"pass": "green", "fail": "red", "not_measurable": "yellow"}


def print_decision(decision: GateDecision, verbose: bool = False) -> None:
    """The gate's checks: the ones that did not pass (every one with ``verbose``)."""
    from training.gate import VERDICT_LABELS

    style = VERDICT_STYLE[decision.verdict.value]
    console.print(
        f"porte contre {decision.incumbent} : [{style}]{VERDICT_LABELS[decision.verdict]}[/]"
        f" ({sum(c.verdict.value == 'pass' for c in decision.checks)}/{len(decision.checks)} "
        "contrôles franchis)"
    )
    for check in decision.checks:
        if verbose or check.verdict.value != "pass":
            console.print(
                f"  [{VERDICT_STYLE[check.verdict.value]}]{check.verdict.value}[/] "
                f"{check.name} — {check.detail}",
                highlight=False,
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
    print_decision(report.gate)
    console.print(
        "proxies les plus forts : "
        + "; ".join(
            f"{r.feature} → {r.attribute} ({r.group}) AUC {r.auc:.2f}"
            for r in report.proxies.top(3)
        )
    )
    console.print(f"champion : {'oui' if report.promoted else 'non'} · run {report.run_id}")


def run_train(
    settings: Settings,
    use_truth: bool,
    promote: bool,
    margin: float | None,
    labels_up_to: int | None = None,
) -> TrainReport:
    from training.datasets import NotEnoughOutcomesError, load_outcome_data
    from training.gate import GatePolicy
    from training.labels import TOP_STAGE
    from training.pipeline import train as run_training

    policy = GatePolicy() if margin is None else GatePolicy(margin=margin)
    truth = hidden_truth(use_truth, settings)
    with factory(settings)() as session:
        data = load_outcome_data(session)
    try:
        return run_training(
            settings,
            data,
            truth=truth,
            policy=policy,
            auto_promote=promote,
            labels_up_to=labels_up_to or TOP_STAGE,
        )
    except NotEnoughOutcomesError as exc:
        raise fail(str(exc), 1) from None


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
    labels_up_to: Annotated[str, typer.Option(help=LABELS_HELP)] = "hired",
) -> None:
    """Entraîner le re-classeur sur les résultats, l'évaluer (qualité, équité à chaque étape,
    audit des étiquettes, proxies), l'enregistrer (MLflow) et le promouvoir s'il franchit la
    porte."""
    settings = get_settings()
    print_report(run_train(settings, use_truth, promote, margin, _stage(labels_up_to)))


def promote(
    run: RunOption,
    force: ForceOption = False,
    reason: ReasonOption = None,
) -> None:
    """Faire du modèle d'un run le champion : il est d'abord réévalué contre le champion
    actuel et la fusion sur les données d'aujourd'hui ; promu si la porte le passe, ou avec
    --force --reason (audité)."""
    from services import models
    from services.context import open_context
    from tremplin.actors import system_actor
    from tremplin.errors import GateRefusedError

    if force and not (reason and reason.strip()):
        raise fail('--force exige --reason "…" (la raison est écrite dans l\'audit)', 2)
    ctx = open_context(get_settings())
    try:
        done = models.promote(ctx, system_actor(_actor()), run, reason if force else None)
    except GateRefusedError as exc:
        print_decision(exc.decision)
        raise fail(
            f'{exc.fr} : ajoutez --force --reason "…" pour passer outre (audité)', 1
        ) from None
    print_decision(done.decision)
    console.print(
        f"champion : {done.version} (avant : {done.previous}) — rechargez l'API "
        "(POST /api/v1/admin/model/reload)"
    )


def rollback() -> None:
    """Rendre l'alias champion au champion précédent (audité)."""
    from services import models
    from services.context import open_context
    from tremplin.actors import system_actor

    done = models.rollback(open_context(get_settings()), system_actor(_actor()))
    console.print(f"champion : {done.restored} (retiré : {done.withdrawn}) — rechargez l'API")


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


def models(
    as_json: Annotated[
        bool, typer.Option("--json", help="Écrire la liste en JSON (verdict par contrôle).")
    ] = False,
) -> None:
    """Lister les versions enregistrées : verdict de la porte par contrôle, champion, servie
    ou non et pourquoi."""
    from training import registry
    from training.model_listing import list_versions

    settings = get_settings()
    listing = list_versions(settings, registry.client(settings))
    if as_json:
        sys.stdout.write(listing.model_dump_json(indent=2) + "\n")
        return
    table = Table(title=registry.MODEL_NAME)
    for column in ("version", "run", "porte", "contrôles", "promu le", "champion", "servie"):
        table.add_column(column)
    for v in listing.versions:
        counts = " ".join(f"{k}:{n}" for k, n in v.check_counts().items() if n)
        table.add_row(
            v.version,
            v.run_id or "",
            v.verdict,
            counts,
            v.promoted_at or "",
            "★" if v.champion else "",
            "oui" if v.served else (v.why_not_served or "non"),
        )
    console.print(table)
    console.print(f"suivi : {registry.tracking_uri(settings)} · {settings.today()}")


Suite = Literal["external", "sample", "all"]


def evaluate(
    suite: Annotated[
        str,
        typer.Option(
            help="external : jeux externes (ROME, ESCO, MELO) ; sample : vérité cachée de "
            "l'échantillon (montre que le code tourne, pas la qualité) ; all : les deux."
        ),
    ] = "external",
    size: Annotated[
        int | None,
        typer.Option(min=20, help="Tranche déterministe de chaque jeu (défaut : jeux complets)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Dossier des résultats (JSON et Markdown).")] = Path(
        "var/evaluation"
    ),
    seed: Annotated[int, typer.Option(help="Graine de l'échantillon (--suite sample).")] = 7,
    beneficiaries: Annotated[int, typer.Option(min=5, max=2000)] = 150,
    opportunities: Annotated[int, typer.Option(min=100, max=50_000)] = 3000,
    champion: Annotated[
        bool, typer.Option(help="Évaluer aussi le re-classeur champion du registre.")
    ] = True,
    log: Annotated[bool, typer.Option(help="Enregistrer le run dans MLflow.")] = True,
) -> None:
    """Mesurer nDCG@10, Recall@10, MRR et succès@1 (intervalles bootstrap) du moteur servi
    contre TF-IDF, BM25 et l'encodeur seul, sur des données que le projet n'a pas générées."""
    from training.suites.metrics import METRICS
    from training.suites.runner import run_external, write_report
    from training.suites.sample import evaluate_sample

    if suite not in ("external", "sample", "all"):
        raise fail(f"--suite {suite!r} inconnu : donnez external, sample ou all")
    settings = get_settings()
    if suite in ("external", "all"):
        report = run_external(settings, size, champion, progress=True, log_to_mlflow=log)
        write_report(report, out)
        console.print(report.markdown())
        if report.run_id:
            console.print(f"run MLflow {report.run_id} (expérience tremplin-evaluation)")
    if suite in ("sample", "all"):
        rows = evaluate_sample(settings, seed, beneficiaries, True, opportunities)
        table = Table(title=rows[0].suite if rows else "échantillon")
        for column in ("méthode", "n", *METRICS):
            table.add_column(column)
        for r in rows:
            table.add_row(r.method, str(r.queries), *(str(r.metrics[m]) for m in METRICS))
        console.print(table)
        out.mkdir(parents=True, exist_ok=True)
        (out / "sample.json").write_text(
            json.dumps([r.model_dump(mode="json") for r in rows], indent=2), encoding="utf-8"
        )


def fit_matching_command(
    size: Annotated[
        int | None, typer.Option(min=20, help="Tranche des jeux de dev (défaut : complets).")
    ] = None,
) -> None:
    """Ajuster la liaison d'intitulés et les poids de la fusion sur le côté dev des jeux
    externes, pour l'encodeur servi (fichiers fournis, ou à côté d'un encodeur affiné)."""
    from matching.e5_conversion import MODEL_ID
    from matching.encoder import served_encoder
    from matching.engine import title_linker
    from matching.occupations import FITTED_DIR
    from training.blends import fit_matching

    settings = get_settings()
    encoder = served_encoder(settings)
    folder = getattr(encoder, "path", None)  # a fine-tuned encoder keeps its blends beside it
    out_dir = folder if folder is not None and encoder.name != MODEL_ID else FITTED_DIR
    linker = title_linker(settings, encoder)
    fit = fit_matching(settings, encoder, linker, out_dir, size=size, progress=True)
    for kind, link in fit.links.items():
        console.print(
            f"liaison {kind} : pénalité {link.penalty}, "
            f"succès@1 (validation croisée dev) {max(link.cv_success_at_1.values()):.3f}"
        )
    console.print(
        f"fusion : {fit.fusion.weights.model_dump()} — nDCG@10 dev "
        f"{fit.fusion.untrained_dev_ndcg_at_10:.3f} -> {fit.fusion.dev_ndcg_at_10:.3f}"
    )
    console.print(f"écrit dans {fit.folder} · run {fit.run_id}")


def finetune_encoder(
    pairs: Annotated[int, typer.Option(min=64, help="Paires de la taxonomie utilisées.")] = 20000,
    epochs: Annotated[int, typer.Option(min=1, max=20)] = 1,
    batch_size: Annotated[int, typer.Option(min=4, max=512)] = 32,
    learning_rate: Annotated[float, typer.Option(min=1e-7, max=1e-2)] = 3e-5,
    size: Annotated[
        int | None, typer.Option(min=20, help="Tranche des jeux externes pour la comparaison.")
    ] = None,
    evaluate: Annotated[
        bool, typer.Option(help="Comparer à l'encodeur servi sur les jeux externes (porte).")
    ] = True,
    promote: Annotated[
        bool, typer.Option(help="Servir le nouvel encodeur s'il franchit la porte.")
    ] = True,
    device: Annotated[
        str | None, typer.Option(help="cpu ou cuda (défaut : cuda si disponible).")
    ] = None,
) -> None:
    """Affiner l'encodeur sur des paires françaises de la taxonomie (concepts dev seulement),
    ajuster ses mélanges, le comparer à l'encodeur servi, l'enregistrer et le servir s'il
    franchit la porte."""
    from training.encoder_finetune import FinetuneConfig, run_finetune

    settings = get_settings()
    config = FinetuneConfig(
        max_pairs=pairs,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        device=device,
    )
    report = run_finetune(settings, config, size, evaluate, promote, progress=True)
    if report.challenger_markdown:
        console.print(report.served_markdown)
        console.print(report.challenger_markdown)
    if report.verdict is not None:
        verdict = (
            "franchie"
            if report.verdict.accepted
            else "refusée : " + "; ".join(report.verdict.reasons)
        )
        console.print(f"porte {verdict}")
    if report.promoted:
        _audit_model_change(settings, "promote", report.version, "encoder gate passed")
        console.print(f"encodeur servi : {report.version} (l'index sera reconstruit au chargement)")
    console.print(f"run {report.run_id} · modèle : {report.path}")


def promote_encoder(
    run: RunOption,
    force: ForceOption = False,
) -> None:
    """Servir l'encodeur affiné d'un run (si la porte l'a accepté, ou avec --force)."""
    from training.encoder_registry import promote_encoder as promote_run

    settings = get_settings()
    reason = "forced" if force else "gate passed"
    path = promote_run(settings, run, reason, force)
    _audit_model_change(settings, "promote_forced" if force else "promote", str(path), reason)
    console.print(f"encodeur servi : {path} — rechargez l'API ; l'index suit l'encodeur")


def rollback_encoder() -> None:
    """Revenir à l'encodeur servi avant (ou à l'encodeur fourni)."""
    from training.encoder_registry import rollback_encoder as rollback_run

    settings = get_settings()
    now = rollback_run(settings)
    _audit_model_change(settings, "rollback", now, "encoder rollback")
    console.print(f"encodeur servi : {now} — rechargez l'API")


def register(app: typer.Typer) -> None:
    """Add the training commands to the ``tremplin`` application."""
    app.command("train")(train)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("retrain")(retrain)
    app.command("models")(models)
    app.command("finetune-encoder")(finetune_encoder)
    app.command("promote-encoder")(promote_encoder)
    app.command("rollback-encoder")(rollback_encoder)
    app.command("fit-matching")(fit_matching_command)
    app.command("evaluate")(evaluate)
