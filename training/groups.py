"""Monitoring groups for fairness figures, with small groups pooled by one documented rule.

A group needs :data:`MIN_GROUP` people for its figures to be compared; below that, one person
swings a rate. Rather than leaving small groups out (which would let a model serve them badly
unseen), they are pooled:

* "undisclosed" (and an unknown value) is not a group: those people count in the "rest" every
  group is compared with, never as a group of their own;
* an **ordinal** attribute (age band) merges a band under the minimum with its smaller
  neighbour, again and again, so a pooled band is a contiguous age range ("46-55/56+");
* a **nominal** attribute (gender, origin) pools every group under the minimum into one group;
  if that pool is still under the minimum it joins the smallest group that reaches it, so its
  people weigh as much as possible in the group they join ("male/x").

The rule depends on group sizes only, never on figures, so it cannot be chosen to pass a gate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from data_contracts.enums import AgeBand

MIN_GROUP = 50
SEPARATOR = "/"  # between the values of a pooled group: "46-55/56+", "male/x"
ATTRIBUTES = ("gender", "age_band", "origin")
ATTRIBUTE_LABELS = {"gender": "genre", "age_band": "tranche d'âge", "origin": "origine"}
GROUP_LABELS = {
    "female": "femmes",
    "male": "hommes",
    "x": "genre X",
    "belgian": "Belges",
    "eu": "Européens (hors Belgique)",
    "non_eu": "hors Union européenne",
}


def group_label(name: str | None) -> str:
    """A group (or a pooled group "male/x") as the admin pages write it."""
    if not name:
        return ""
    return " ou ".join(GROUP_LABELS.get(part, f"{part} ans") for part in name.split(SEPARATOR))


NOT_A_GROUP = frozenset({"?", "undisclosed", "unknown", ""})
ORDINAL: dict[str, tuple[str, ...]] = {"age_band": tuple(b.value for b in AgeBand)}


def pooled_groups(
    attribute: str, values: Mapping[int, str], min_group: int = MIN_GROUP
) -> dict[int, str]:
    """Each person's pooled group label for ``attribute`` (people not in any group are left
    out): see the module's rule."""
    counts = Counter(v for v in values.values() if v not in NOT_A_GROUP)
    if attribute in ORDINAL:
        order = [v for v in ORDINAL[attribute] if counts.get(v)]
        order += sorted(v for v in counts if v not in ORDINAL[attribute])
        label = _merge_ordinal([[v] for v in order], counts, min_group)
    else:
        label = _merge_nominal(counts, min_group)
    return {p: label[v] for p, v in values.items() if v in label}


def _merge_ordinal(
    runs: list[list[str]], counts: Mapping[str, int], min_group: int
) -> dict[str, str]:
    def size(run: list[str]) -> int:
        return sum(counts[v] for v in run)

    while len(runs) > 1:
        small = [i for i, run in enumerate(runs) if size(run) < min_group]
        if not small:
            break
        i = min(small, key=lambda j: (size(runs[j]), j))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        j = min(neighbours, key=lambda n: (size(runs[n]), n))
        a, b = sorted((i, j))
        runs[a : b + 1] = [runs[a] + runs[b]]
    return {v: SEPARATOR.join(run) for run in runs for v in run}


def _merge_nominal(counts: Mapping[str, int], min_group: int) -> dict[str, str]:
    big = sorted(v for v, n in counts.items() if n >= min_group)
    small = sorted(v for v, n in counts.items() if n < min_group)
    label = {v: v for v in big}
    if not small:
        return label
    pool = SEPARATOR.join(small)
    if sum(counts[v] for v in small) >= min_group or not big:
        label.update({v: pool for v in small})
        return label
    host = min(big, key=lambda v: (counts[v], v))
    joined = f"{host}{SEPARATOR}{pool}"
    label[host] = joined
    label.update({v: joined for v in small})
    return label
