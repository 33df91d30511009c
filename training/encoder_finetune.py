"""Fine-tune the sentence encoder on French taxonomy pairs (contrastive, in-batch negatives).

Pairs come from the real taxonomy, in French:

* an ESCO occupation's alternative label ↔ its preferred label;
* a ROME appellation (the titles people actually write: "commis de cuisine") ↔ the preferred
  label of the ESCO occupation its métier is crosswalked to;
* a ROME métier ↔ one of its core skills.

Labels held out for the title-linking evaluation are never used. The loss is
sentence-transformers' ``MultipleNegativesRankingLoss`` (every other positive of the batch is a
negative). The word-embedding matrix (most of e5-small's weights, the multilingual vocabulary)
is frozen: the transformer layers adapt, the vocabulary is kept, and a CPU step stays cheap.
The result is a sentence-transformers folder that ``TREMPLIN_MODEL_NAME`` selects.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel
from tqdm import tqdm

# importing the matching package switches the Hugging Face libraries to offline mode: models
# load from installed packages and var/models only, never from a hub
from matching.e5_conversion import MODEL_ID
from matching.encoder import converted_e5_path, load_encoder, served_encoder
from matching.onnx_encoder import ensure_exported, onnx_version
from training import registry
from training.encoder_registry import EncoderVerdict
from training.suites.split import fold_of, split_of
from training.suites.titles import FOLDS, noisy_title
from tremplin.settings import Settings
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import gender_variants, normalize

if TYPE_CHECKING:
    from training.suites.runner import ExternalReport

PREFIX = "query: "  # e5's prefix for symmetric (label to label) similarity
ENCODER_EXPERIMENT = "tremplin-encoder"


class FinetuneConfig(BaseModel):
    """How a fine-tuning run is set up."""

    max_pairs: int = 20_000
    skill_share: float = 0.15  # share of métier-skill pairs (the rest: title pairs)
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    seed: int = 0
    device: str | None = None  # None: CUDA when available, else CPU


class FinetuneResult(BaseModel):
    """What a fine-tuning run produced."""

    path: Path
    version: str
    pairs: int
    steps: int
    pairs_digest: str
    device: str
    final_loss: float


ENCODER_FOLDS = frozenset({0, 1, 2})  # dev folds the encoder learns from
BLEND_FOLDS = frozenset({3, 4})  # dev folds its blends are fitted on and its gate reads


def trainable(concept: str, folds: frozenset[int] = ENCODER_FOLDS) -> bool:
    """Whether the encoder may learn from ``concept`` (an ESCO URI or a ROME code): on the dev
    side of the one split, in one of ``folds``."""
    return split_of(concept) == "dev" and fold_of(concept, FOLDS) in folds


def taxonomy_pairs(
    tax: Taxonomy,
    max_pairs: int,
    seed: int = 0,
    skill_share: float = 0.15,
    folds: frozenset[int] = ENCODER_FOLDS,
) -> list[tuple[str, str]]:
    """(anchor, positive) French pairs, each touching only trainable concepts.

    Titles: an ESCO alternative label and its preferred label; an appellation and its métier's
    label; two appellations of one métier; an appellation and the ESCO occupation the official
    crosswalk links it to; an appellation as people type it (typos, "(h/f/x)", abbreviations,
    :func:`~training.suites.titles.noisy_title`) and its métier; a Belgian title and its
    métier. Skills (``skill_share`` of the set): a métier's label and one of its core skills.
    Nothing of a test concept, nor of the dev folds the blends are fitted on, is used.
    """
    rng = random.Random(seed)
    titles: list[tuple[str, str]] = []
    skills: list[tuple[str, str]] = []

    def add(into: list[tuple[str, str]], anchor: str, positive: str) -> None:
        if normalize(anchor) and normalize(positive) and normalize(anchor) != normalize(positive):
            into.append((anchor, positive))

    for uri in sorted(tax.esco_occupations):
        if trainable(uri, folds):
            occ = tax.esco_occupations[uri]
            for alt in occ.alt_labels:
                add(titles, alt, gender_variants(occ.label)[0])
    for code in sorted(tax.metiers):
        if not trainable(code, folds):
            continue
        label = gender_variants(tax.metiers[code].label)[0]
        apps = [rng.choice(gender_variants(a.label)) for a in tax.appellations_of(code)]
        for app in apps:
            add(titles, app, label)
            add(titles, noisy_title(app, rng), label)
        for a, b in zip(apps, apps[1:] + apps[:1], strict=True):
            add(titles, a, b)
        for skill_id in tax.core_skills(code):
            add(skills, label, tax.skill_label(skill_id))
    for code_ogr, links in sorted(tax.official_crosswalk().items()):
        appellation = tax.appellations[code_ogr]
        for uri, _ in links:
            if trainable(appellation.code_rome, folds) and trainable(uri, folds):
                preferred = gender_variants(tax.esco_occupations[uri].label)[0]
                add(titles, appellation.label, preferred)
    for bt in tax.belgian_titles:
        if trainable(bt.code_rome, folds):
            add(titles, bt.title, gender_variants(tax.metiers[bt.code_rome].label)[0])
    titles = sorted(set(titles))
    skills = sorted(set(skills))
    rng.shuffle(titles)
    rng.shuffle(skills)
    n_skills = min(len(skills), round(max_pairs * skill_share))
    pairs = titles[: max_pairs - n_skills] + skills[:n_skills]
    rng.shuffle(pairs)
    return pairs


def pairs_digest(pairs: list[tuple[str, str]]) -> str:
    """A short hash identifying a pair set."""
    h = hashlib.sha256()
    for a, p in pairs:
        h.update(f"{a}\t{p}\n".encode())
    return h.hexdigest()[:16]


def contrastive_batches(
    pairs: list[tuple[str, str]], size: int, seed: int
) -> list[list[tuple[str, str]]]:
    """Batches where no anchor text or positive text appears twice (no false negatives)."""
    pending = list(pairs)
    random.Random(seed).shuffle(pending)
    batches: list[list[tuple[str, str]]] = []
    while pending:
        current: list[tuple[str, str]] = []
        seen: set[str] = set()
        later: list[tuple[str, str]] = []
        for pair in pending:
            if pair[0] in seen or pair[1] in seen:
                later.append(pair)  # waits for another batch
                continue
            current.append(pair)
            seen.update(pair)
            if len(current) == size:
                batches.append(current)
                current, seen = [], set()
        if len(current) >= 2:
            batches.append(current)
        if len(later) == len(pending):
            break
        pending = later
    return batches


def finetune(
    base: Path, pairs: list[tuple[str, str]], out: Path, config: FinetuneConfig
) -> FinetuneResult:
    """Fine-tune the sentence-transformers model at ``base`` on ``pairs``; save it at ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(config.seed)
    model = SentenceTransformer(str(base), device=device, local_files_only=True)
    for name, parameter in model.named_parameters():
        if "word_embeddings" in name:
            parameter.requires_grad = False
    loss_fn = MultipleNegativesRankingLoss(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=config.learning_rate)
    model.train()
    steps, last = 0, float("nan")
    for epoch in range(config.epochs):
        batches = contrastive_batches(pairs, config.batch_size, config.seed + epoch)
        for batch in tqdm(batches, desc=f"epoch {epoch + 1}", leave=False):
            features = [
                {
                    k: v.to(device)
                    for k, v in model.preprocess([PREFIX + t for t in side]).items()
                    if isinstance(v, torch.Tensor)
                }
                for side in ([a for a, _ in batch], [p for _, p in batch])
            ]
            loss = loss_fn(features, torch.empty(0))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
            last = float(loss.detach().cpu())
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    digest = pairs_digest(pairs)
    version = f"{base.name}-ft-{digest[:8]}-{steps}s"
    (out / "tremplin_model.json").write_text(
        json.dumps(
            {
                "version": version,
                "base": base.name,
                "pairs": len(pairs),
                "pairs_digest": digest,
                "steps": steps,
                **config.model_dump(mode="json"),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return FinetuneResult(
        path=out,
        version=version,
        pairs=len(pairs),
        steps=steps,
        pairs_digest=digest,
        device=device,
        final_loss=round(last, 4),
    )


class FinetuneReport(BaseModel):
    """What ``tremplin finetune-encoder`` did, measured and decided."""

    run_id: str
    version: str
    path: str
    pairs: int
    steps: int
    final_loss: float
    verdict: EncoderVerdict | None = None
    promoted: bool = False
    served_markdown: str = ""
    challenger_markdown: str = ""


def run_finetune(
    settings: Settings,
    config: FinetuneConfig,
    size: int | None = None,
    evaluate: bool = True,
    promote: bool = True,
    progress: bool = False,
) -> FinetuneReport:
    """Fine-tune on the taxonomy pairs of :data:`ENCODER_FOLDS`, fit the new encoder's blends on
    the other dev folds, evaluate the served and the new encoder on the external suites in
    the same run, log and register the new one, and promote it when the gate accepts it (the
    gate reads the dev folds neither encoder learnt from; test figures are reported)."""
    import mlflow

    from matching.engine import title_linker
    from training.blends import fit_matching
    from training.encoder_registry import (
        EncoderGatePolicy,
        encoder_gate,
        headline,
        promote_encoder,
        register_encoder,
    )
    from training.registry import tracked_run
    from training.suites.runner import run_external

    tax = load_taxonomy()
    pairs = taxonomy_pairs(tax, config.max_pairs, config.seed, config.skill_share)
    assert settings.models_dir is not None
    served = served_encoder(settings)
    load_encoder(MODEL_ID, settings.models_dir)  # converts the bundled model once
    base = converted_e5_path(settings.models_dir)
    out = settings.models_dir / "finetuned" / f"e5-ft-{pairs_digest(pairs)[:8]}-{config.seed}"
    result = finetune(base, pairs, out, config)
    served_as = result.version
    if settings.encoder_runtime == "onnx-int8":  # exported now: a promotion serves it at once
        ensure_exported(out)
        served_as = onnx_version(result.version)
    verdict: EncoderVerdict | None = None
    reports: dict[str, ExternalReport] = {}
    if evaluate:
        tuned = load_encoder(str(out), settings.models_dir)
        fit_matching(
            settings, tuned, title_linker(settings, tuned), out, BLEND_FOLDS, size, progress, False
        )
        for name, encoder in (("served", served), ("challenger", tuned)):
            reports[name] = run_external(
                settings.model_copy(update={"model_name": getattr(encoder, "path", MODEL_ID)}),
                size=size,
                with_champion=False,
                progress=progress,
                log_to_mlflow=False,
                dev_folds=BLEND_FOLDS,
                with_real_ads=False,  # the ad coder is fitted for the served encoder only
            )
        verdict = encoder_gate(reports["served"], reports["challenger"], EncoderGatePolicy())
    tags = {
        "encoder_version": result.version,
        "served_version": served_as,  # the version indexes and caches are keyed by
        "gate": "accepted" if verdict and verdict.accepted else "rejected",
        "gate_reason": "; ".join(verdict.reasons) if verdict else "not evaluated",
    }
    with tracked_run(settings, ENCODER_EXPERIMENT, tags) as run:
        mlflow.log_params(
            {
                **config.model_dump(mode="json"),
                "pairs": result.pairs,
                "pairs_digest": result.pairs_digest,
                "device": result.device,
                "encoder_folds": ",".join(map(str, sorted(ENCODER_FOLDS))),
                "blend_folds": ",".join(map(str, sorted(BLEND_FOLDS))),
                "served_encoder": served.version,
            }
        )
        metrics: dict[str, float] = {"final_loss": result.final_loss, "steps": float(result.steps)}
        for name, report in reports.items():
            for split in ("dev", "test"):
                metrics.update(
                    {f"{name}.{split}.{k}": v for k, v in headline(report, split).items()}
                )
            mlflow.log_text(report.markdown(), f"external_{name}.md")
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(out), "encoder")
    rejected = EncoderVerdict(accepted=False, reasons=["non évalué"], served={}, challenger={})
    register_encoder(registry.client(settings), run.info.run_id, verdict or rejected)
    promoted = False
    if promote and verdict is not None and verdict.accepted:
        promote_encoder(settings, run.info.run_id, "gate passed against the served encoder")
        promoted = True
    return FinetuneReport(
        run_id=run.info.run_id,
        version=result.version,
        path=str(out),
        pairs=result.pairs,
        steps=result.steps,
        final_loss=result.final_loss,
        verdict=verdict,
        promoted=promoted,
        served_markdown=reports["served"].markdown() if reports else "",
        challenger_markdown=reports["challenger"].markdown() if reports else "",
    )
