"""Title-linking suites: real French job titles with their answer, from data nobody here made.

* ``melo`` — the MELO France set (1,435 ROME appellations annotated with the ESCO occupation of
  France Travail's official correspondence; Avature, MIT), answer: an ESCO occupation;
* ``esco-alt`` — ESCO alternative labels that are not a gender form of the preferred one,
  answer: their occupation (the label, and its other gender form, are withheld from the index);
* ``appellations`` — ROME appellations, answer: their métier (the appellation withheld);
* ``belgian`` — the maintained Belgian title list, answer: its métier;
* ``*-noisy`` — the same queries as people type them: one gender form, "(h/f/x)" or "H/F",
  typos, abbreviations, lost accents, a wish's lead-in ("Je cherche un emploi comme ...").

Each case says which labels it withholds (leave-one-out) and its split comes from its answer's
concept (:func:`training.suites.split.split_of`). Masks that hide the crosswalk and synonym
rows of every test concept (and, on dev, of the case's cross-validation fold) are made by
:func:`case_mask`, so no figure is computed with the knowledge it tests.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from matching.linking import LinkMask, title_keys
from matching.occupations import LinkerKind
from training.suites.split import Split, fold_of, split_of
from tremplin.taxonomy import Taxonomy
from tremplin.taxonomy.files import DATA_DIR
from tremplin.text import gender_variants, normalize, strip_accents

FOLDS = 5


@dataclass(frozen=True)
class TitleCase:
    """One query, its right concept(s), what it withholds and its side of the split."""

    suite: str
    query: str
    gold: frozenset[str]
    kind: LinkerKind
    split: Split
    held: frozenset[tuple[str, str]] = frozenset()  # (concept, normalised label) withheld
    held_mapped: frozenset[tuple[str, str]] = frozenset()  # ... withheld among mappings only
    held_keys: frozenset[str] = frozenset()  # lookup keys that find nothing (a new title)


@dataclass(frozen=True)
class Withholding:
    """Which mapping rows a case may not see, for one linker's concept space.

    On test: the crosswalk and synonym rows of every test concept. On dev: those too, and the
    rows of every concept in the case's cross-validation fold (its own included), so that the
    features a model is fitted on look like those of concepts it has never seen.
    """

    test: frozenset[str]
    folds: tuple[frozenset[str], ...]

    def mask(self, case: TitleCase) -> LinkMask:
        """The mask of ``case`` (with its own withheld labels)."""
        hidden = set(self.test)
        if case.split == "dev":
            hidden |= self.folds[fold_of(min(case.gold), len(self.folds))] | case.gold
        return LinkMask(
            concepts=frozenset(hidden),
            labels=case.held,
            mapped_labels=case.held_mapped,
            keys=case.held_keys,
        )


def withholding(concepts: Sequence[str], folds: int = FOLDS) -> Withholding:
    """The :class:`Withholding` of a concept space (an ESCO or ROME linker's concepts)."""
    dev = [c for c in concepts if split_of(c) == "dev"]
    return Withholding(
        test=frozenset(c for c in concepts if split_of(c) == "test"),
        folds=tuple(frozenset(c for c in dev if fold_of(c, folds) == f) for f in range(folds)),
    )


def _melo_rows(name: str) -> list[list[str]]:
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh, delimiter="\t") if row]


def melo_cases() -> list[TitleCase]:
    """The MELO France set: ROME appellations -> the ESCO occupation of the official match."""
    uri_of = {r[0]: r[1] for r in _melo_rows("melo_fra_concept_mapping.tsv.gz")}
    gold: dict[str, set[str]] = {}
    for r in _melo_rows("melo_fra_annotations.tsv.gz"):
        gold.setdefault(r[0], set()).add(uri_of[r[2]])
    cases = []
    for qid, title in _melo_rows("melo_fra_queries.tsv.gz"):
        concepts = frozenset(gold.get(qid, ()))
        if concepts:  # the query is a crosswalk title of its answer: withheld from the mappings
            held = frozenset().union(*(_held(c, title) for c in concepts))
            split = split_of(min(concepts))
            cases.append(TitleCase("melo", title, concepts, "esco", split, held_mapped=held))
    return cases


def _held(concept: str, label: str) -> frozenset[tuple[str, str]]:
    """The label and its other gender forms, as withheld (concept, normalised label) rows."""
    forms = {normalize(f) for f in gender_variants(label)} | {normalize(label)}
    return frozenset((concept, f) for f in forms if f)


def _gender_keys(label: str) -> frozenset[str]:
    return frozenset(k for k in title_keys(label) if k.startswith("~"))


def _everywhere(
    held: frozenset[tuple[str, str]], owners: dict[str, set[str]]
) -> frozenset[tuple[str, str]]:
    """``held`` extended to every concept that has the same label: a title withheld as new is
    new for the whole taxonomy (withholding it from its answer only would leave a world where
    it exists, exactly, for the *wrong* concepts alone)."""
    return frozenset((c, norm) for _, norm in held for c in owners.get(norm, ())) | held


def _owners(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = defaultdict(set)
    for concept, label in pairs:
        for form in {label, *gender_variants(label)}:
            if normalize(form):
                owners[normalize(form)].add(concept)
    return owners


def esco_alt_cases(tax: Taxonomy, n: int, seed: int = 0) -> list[TitleCase]:
    """``n`` ESCO alternative labels (not a gender form of the preferred label) -> occupation.

    The label is withheld with every label of its occupation that folds to the same words
    ("aide-cuisinière" goes with "aide-cuisinier"), so a masculine/feminine pair is never
    split between the query and the index — and from every other occupation that has it.
    """
    owners = _owners(
        (uri, label)
        for uri, occ in tax.esco_occupations.items()
        for label in [occ.label, *occ.alt_labels]
    )
    pool: list[TitleCase] = []
    for uri in sorted(tax.esco_occupations):
        occ = tax.esco_occupations[uri]
        preferred = set().union(*(_gender_keys(f) for f in gender_variants(occ.label)))
        labels = [*gender_variants(occ.label), *occ.alt_labels]
        seen: set[frozenset[str]] = set()
        for alt in occ.alt_labels:
            keys = _gender_keys(alt)
            if not keys or keys & preferred or keys in seen or len(normalize(alt)) <= 3:
                continue
            seen.add(keys)
            held = frozenset().union(
                *(_held(uri, lab) for lab in labels if _gender_keys(lab) & keys)
            )
            held = _everywhere(held, owners)
            case = TitleCase("esco-alt", alt, frozenset({uri}), "esco", split_of(uri), held)
            pool.append(replace(case, held_keys=title_keys(alt)))
    return _sample(pool, n, seed)


def appellation_cases(tax: Taxonomy, n: int, seed: int = 0) -> list[TitleCase]:
    """``n`` ROME appellations -> their métier (the appellation's forms withheld, from every
    métier that files the same title)."""
    owners = _owners(
        [(c, m.label) for c, m in tax.metiers.items()]
        + [(a.code_rome, t) for a in tax.appellations.values() for t in (a.label, a.short_label)]
    )
    pool = []
    for code_ogr in sorted(tax.appellations):
        a = tax.appellations[code_ogr]
        if normalize(a.label) in {
            normalize(f) for f in gender_variants(tax.metiers[a.code_rome].label)
        }:
            continue  # the métier's own name: a lookup, not a test
        held = _everywhere(_held(a.code_rome, a.label) | _held(a.code_rome, a.short_label), owners)
        pool.append(
            TitleCase(
                "appellations",
                a.label,
                frozenset({a.code_rome}),
                "rome",
                split_of(a.code_rome),
                held,
                held_keys=title_keys(a.label) | title_keys(a.short_label),
            )
        )
    return _sample(pool, n, seed)


def belgian_cases(tax: Taxonomy) -> list[TitleCase]:
    """The maintained Belgian titles -> their métier, each withheld from the index (the figure
    says what the linker finds without the list)."""
    return [
        TitleCase(
            "belgian",
            bt.title,
            frozenset({bt.code_rome}),
            "rome",
            split_of(bt.code_rome),
            held_mapped=_held(bt.code_rome, bt.title),
        )
        for bt in tax.belgian_titles
    ]


def _sample(pool: list[TitleCase], n: int, seed: int) -> list[TitleCase]:
    if n >= len(pool):
        return pool
    return sorted(random.Random(seed).sample(pool, n), key=lambda c: (c.split, c.query))


# --- noise -----------------------------------------------------------------------------------

ABBREVIATIONS = {
    "technicien": "tech.",
    "technicienne": "tech.",
    "assistant": "assist.",
    "assistante": "assist.",
    "administratif": "admin.",
    "administrative": "admin.",
    "responsable": "resp.",
    "maintenance": "maint.",
    "conducteur": "cond.",
    "conductrice": "cond.",
    "ouvrier": "ouv.",
    "ouvrière": "ouv.",
    "employé": "empl.",
    "employée": "empl.",
    "production": "prod.",
    "commercial": "commerc.",
    "service": "serv.",
    "polyvalent": "polyv.",
    "polyvalente": "polyv.",
    "informatique": "info",
    "manutention": "manut.",
    "installation": "install.",
}
GENDER_TAGS = (" (h/f/x)", " H/F", " (m/f/x)", " h/f", " (H/F/X)")
LEADS = (
    "Je cherche un emploi comme {}",
    "Je voudrais devenir {}",
    "je veux travailler comme {}",
    "J'aimerais être {}",
)
_WORD = re.compile(r"\w{5,}")


def _typo(text: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words)
    w = m.group()
    i = rng.randrange(1, len(w) - 1)
    op = rng.choice(("drop", "swap", "double"))
    if op == "drop":
        w = w[:i] + w[i + 1 :]
    elif op == "swap":
        w = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]
    else:
        w = w[:i] + w[i] + w[i:]
    return text[: m.start()] + w + text[m.end() :]


def _abbreviate(text: str, rng: random.Random) -> str:
    words = text.split()
    spots = [i for i, w in enumerate(words) if w.lower() in ABBREVIATIONS]
    if not spots:
        return _typo(text, rng)
    i = rng.choice(spots)
    words[i] = ABBREVIATIONS[words[i].lower()]
    return " ".join(words)


NOISES: dict[str, Callable[[str, random.Random], str]] = {
    "typo": _typo,
    "abbreviation": _abbreviate,
    "accents": lambda t, _: strip_accents(t),
    "case": lambda t, r: t.upper() if r.random() < 0.5 else t.lower(),
    "gender_tag": lambda t, r: t + r.choice(GENDER_TAGS),
    "wish": lambda t, r: r.choice(LEADS).format(t[:1].lower() + t[1:]),
}


def noisy_title(title: str, rng: random.Random, lead_in: bool = True) -> str:
    """``title`` as someone types it: one gender form, then two of :data:`NOISES` (without the
    wish's lead-in when ``lead_in`` is false: the caller writes the sentence)."""
    text = rng.choice(gender_variants(title))
    names = sorted(n for n in NOISES if lead_in or n != "wish")
    for name in rng.sample(names, 2):
        text = NOISES[name](text, rng)
    return text


def noisy(cases: Sequence[TitleCase], seed: int = 0) -> list[TitleCase]:
    """The noisy variant of a suite (same answers, same withheld labels, same splits)."""
    rng = random.Random(seed)
    return [replace(c, suite=f"{c.suite}-noisy", query=noisy_title(c.query, rng)) for c in cases]


def title_suites(
    tax: Taxonomy, size: int | None = None, seed: int = 0
) -> dict[str, list[TitleCase]]:
    """Every title suite; ``size`` caps each (a deterministic slice for quick runs)."""
    n = size or 10**9
    melo = melo_cases()
    suites = {
        "melo": melo,
        "melo-noisy": noisy(melo, seed),
        "esco-alt": esco_alt_cases(tax, min(n, 1200), seed),
        "appellations": appellation_cases(tax, min(n, 1200), seed),
        "belgian": belgian_cases(tax),
    }
    suites["appellations-noisy"] = noisy(suites["appellations"], seed + 1)
    if size is not None:
        suites = {k: _slice(v, size) for k, v in suites.items()}
    return suites


def _slice(cases: list[TitleCase], size: int, seed: int = 0) -> list[TitleCase]:
    """A deterministic random slice, half dev and half test."""
    rng = random.Random(f"slice:{seed}")
    dev = [c for c in cases if c.split == "dev"]
    test = [c for c in cases if c.split == "test"]
    dev = rng.sample(dev, min(len(dev), size // 2))
    return dev + rng.sample(test, min(len(test), size - len(dev)))
