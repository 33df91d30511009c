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
from typing import Any

from pydantic import BaseModel
from tqdm import tqdm

# importing the matching package switches the Hugging Face libraries to offline mode: models
# load from installed packages and var/models only, never from a hub
from matching.encoder import converted_e5_path, load_encoder
from tremplin.settings import Settings
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import normalize

PREFIX = "query: "  # e5's prefix for symmetric (label to label) similarity
ENCODER_EXPERIMENT = "tremplin-encoder"
APPELLATION_MIN_LINK = 0.5  # crosswalk score below which a métier's ESCO link is too loose


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


def taxonomy_pairs(
    tax: Taxonomy, held_out: set[str], max_pairs: int, seed: int = 0, skill_share: float = 0.15
) -> list[tuple[str, str]]:
    """(anchor, positive) French pairs, none touching a held-out label (normalised).

    Title pairs (alternative labels, appellations) make up ``1 - skill_share`` of the set.
    """
    titles: list[tuple[str, str]] = []
    skills: list[tuple[str, str]] = []

    def add(into: list[tuple[str, str]], anchor: str, positive: str) -> None:
        a, p = normalize(anchor), normalize(positive)
        if a and p and a != p and a not in held_out and p not in held_out:
            into.append((anchor, positive))

    for uri in sorted(tax.esco_occupations):
        occ = tax.esco_occupations[uri]
        for alt in occ.alt_labels:
            add(titles, alt, occ.label)
    for code in sorted(tax.metiers):
        links = tax.esco_for_metier(code)
        if links and links[0][1] >= APPELLATION_MIN_LINK:
            target = tax.esco_occupations.get(links[0][0])
            if target is not None:
                for app in tax.appellations_of(code):
                    add(titles, app.label, target.label)
        for skill_id in tax.core_skills(code):
            add(skills, tax.metiers[code].label, tax.skill_label(skill_id))
    rng = random.Random(seed)
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


def run_finetune(
    settings: Settings, config: FinetuneConfig, n_titles: int, seed: int, evaluate: bool = True
) -> dict[str, Any]:
    """Fine-tune on the taxonomy pairs (held-out titles excluded), compare title linking with
    the bundled encoder in the same run, and log both to MLflow with the model as artifact."""
    import mlflow

    from matching.evaluation import evaluate_titles, held_out_titles
    from training import registry
    from training.pipeline import git_commit

    tax = load_taxonomy()
    held = {normalize(label) for _, label in held_out_titles(n_titles, seed)}
    pairs = taxonomy_pairs(tax, held, config.max_pairs, config.seed, config.skill_share)
    assert settings.models_dir is not None
    load_encoder(settings.model_name, settings.models_dir)  # converts the bundled model once
    base = converted_e5_path(settings.models_dir)
    out = settings.models_dir / "finetuned" / f"e5-ft-{pairs_digest(pairs)[:8]}"
    result = finetune(base, pairs, out, config)
    metrics: dict[str, float] = {"final_loss": result.final_loss, "steps": float(result.steps)}
    rows: list[dict[str, Any]] = []
    if evaluate:
        for name, model_name in (("bundled", settings.model_name), ("finetuned", str(out))):
            figures = evaluate_titles(
                settings.model_copy(update={"model_name": model_name}), seed, n_titles, True
            )
            for row in figures:
                rows.append({"encoder": name, **row.model_dump()})
                if row.method in ("dense", "hybrid"):
                    for key in ("top1", "recall_at_10", "mrr"):
                        metrics[f"{name}.{row.method}.{key}"] = float(getattr(row, key) or 0.0)
    c = registry.client(settings)
    experiment = registry.experiment_id(settings, c, ENCODER_EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.set_tags({"git_commit": git_commit(), "encoder_version": result.version})
        mlflow.log_params(
            {
                **config.model_dump(mode="json"),
                "pairs": result.pairs,
                "pairs_digest": result.pairs_digest,
                "device": result.device,
                "held_out_titles": n_titles,
                "held_out_seed": seed,
            }
        )
        mlflow.log_metrics(metrics)
        if rows:
            import pandas as pd

            mlflow.log_table(pd.DataFrame(rows), "title_linking.json")
        mlflow.log_artifacts(str(out), "encoder")
    return {
        "run_id": run.info.run_id,
        "path": str(out),
        "version": result.version,
        "metrics": metrics,
        "rows": rows,
    }
