"""The job-day planner: who interviews at which stand, and when.

Input: a match-quality matrix (people × stands, NaN where a pair is not allowed: a hard
prerequisite fails), which pairs the engine rates *good*, each stand's slots and slot length,
the most interviews one person may have and the free time between two of them.

Two exact models, solved by OR-Tools (the decision and its reasons: docs/decisions.md):

1. **Selection** (CP-SAT): choose interviews to maximise total match quality plus a bonus for
   each person invited (it spreads chances: a first interview for someone is worth more than a
   third for someone else), under each stand's slots and each person's maximum; every invited
   person has at least one *good* interview; a stand is not left empty when a person rated good
   for it exists, and people nominated by their coach are invited when they can be (both soft,
   with a penalty far above any score, so the model is always feasible). Candidate edges are
   pruned (each person's best stands, each stand's best people, and every edge of the bound's
   solution), which keeps the large cases small.
2. **Timing** (CP-SAT): place the chosen interviews on their stands' time grids (a stand
   receives at any multiple of its slot length within the day, one person at a time), no two
   interviews of one person overlapping or closer than the gap (interval variables with
   ``NoOverlap``); an interview that cannot be placed is dropped (optional intervals), never
   double-booked.

The **upper bound** is the tighter of two relaxations over *every* allowed pair: the same
objective for the people who have at least one good pair without the other side constraints (a
transportation problem solved exactly by min-cost flow; its pairs also seed the selection),
and the linear relaxation of slots, maximum per person and good-first together (HiGHS). Both
bound every plan. Re-planning (a cancellation,
added slots) passes the previous plan: kept interviews earn a stability bonus and keep their
time when possible.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

SCALE = 1000  # scores are in [0, 1]; the selection model works on integers
BOUND_SCALE = 1_000_000  # the bound's finer integers (its rounding slack is then negligible)
FIRST_INTERVIEW_BONUS = 0.2  # a person's first interview is worth this much more
SOFT_PENALTY = 100.0  # an empty stand or an uninvited nominee costs this (in score units)
KEEP_BONUS = 0.5  # re-planning: an interview of the previous plan kept (score units)
KEEP_TIME_BONUS = 0.1  # ... and kept at the same time
PERSON_EDGES = 4  # candidate stands kept per person (at least one more than the maximum)
STAND_EDGES_PER_SLOT = 4  # candidate people kept per stand slot
GAP_LIMIT = 0.002  # the selection stops once proven within 0.2% of the bound


@dataclass(frozen=True)
class PlanningProblem:
    """One job day's planning input (rows: people, columns: stands)."""

    quality: np.ndarray  # float (people, stands) in [0, 1]; NaN: not allowed
    good: np.ndarray  # bool (people, stands): the engine rates the pair good
    slots: np.ndarray  # int per stand
    slot_minutes: np.ndarray  # int per stand
    max_per_person: int = 3
    min_gap_minutes: int = 15
    day_minutes: int = 420  # a stand interviews at any time of its grid within the day
    nominated: np.ndarray | None = None  # bool per person
    previous: dict[tuple[int, int], int] = field(default_factory=dict)  # (person, stand) → slot
    first_bonus: float = FIRST_INTERVIEW_BONUS

    @property
    def shape(self) -> tuple[int, int]:
        """(people, stands)."""
        n_people, n_stands = self.quality.shape
        return int(n_people), int(n_stands)

    def allowed(self) -> np.ndarray:
        """Pairs that may be planned."""
        return np.asarray(~np.isnan(self.quality))


@dataclass(frozen=True)
class Interview:
    """One planned interview."""

    person: int
    stand: int
    slot: int
    start_minute: int  # from the day's opening
    end_minute: int
    quality: float
    good: bool


@dataclass
class Plan:
    """A solved plan and the figures that say how good it is."""

    interviews: list[Interview]
    objective: float  # total quality + first-interview bonuses (what is maximised)
    bound: float  # the relaxation's optimum (an upper bound of ``objective``)
    total_quality: float
    invited: int
    selection_status: str
    timing_status: str
    selection_seconds: float
    timing_seconds: float
    bound_seconds: float
    candidate_edges: int
    dropped_in_timing: int = 0
    empty_stands_with_suitable: int = 0
    nominated_not_invited: int = 0
    kept: int = 0
    moved: int = 0

    @property
    def gap(self) -> float:
        """Relative distance to the bound (0: provably optimal)."""
        return 0.0 if self.bound <= 0 else max(0.0, 1.0 - self.objective / self.bound)


def objective_of(problem: PlanningProblem, pairs: list[tuple[int, int]]) -> float:
    """The maximised objective of a set of (person, stand) interviews."""
    people = {p for p, _ in pairs}
    return float(sum(problem.quality[p, s] for p, s in pairs) + problem.first_bonus * len(people))


def upper_bound(problem: PlanningProblem) -> tuple[float, list[tuple[int, int]]]:
    """The optimum over every allowed pair without the side constraints (min-cost flow): an
    upper bound of any plan's objective (rounding included), and the pairs that reach it."""
    n_people, n_stands = problem.shape
    # a person without any good pair can have no interview in any plan: left out of the
    # relaxation too (a tighter bound, still an upper bound)
    invitable = np.asarray(problem.good.any(axis=1), dtype=bool)
    allowed = np.argwhere(problem.allowed() & invitable[:, None])
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = n_people + n_stands, n_people + n_stands + 1
    starts, ends, caps, costs = [], [], [], []

    def arc(a: int, b: int, cap: int, cost: int) -> None:
        starts.append(a)
        ends.append(b)
        caps.append(cap)
        costs.append(cost)

    bonus = round(problem.first_bonus * BOUND_SCALE)
    for p in range(n_people):
        arc(source, p, 1, -bonus)
        if problem.max_per_person > 1:
            arc(source, p, problem.max_per_person - 1, 0)
    edge_start = len(starts)
    for p, s in allowed:
        arc(int(p), n_people + int(s), 1, -round(float(problem.quality[p, s]) * BOUND_SCALE))
    for s in range(n_stands):
        arc(n_people + s, sink, int(problem.slots[s]), 0)
    supply = int(min(problem.slots.sum(), n_people * problem.max_per_person))
    if supply == 0 or not len(allowed):
        return 0.0, []
    arc(source, sink, supply, 0)  # unused capacity flows straight through, at no gain
    flow.add_arcs_with_capacity_and_unit_cost(
        np.asarray(starts), np.asarray(ends), np.asarray(caps), np.asarray(costs)
    )
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = [
        (int(allowed[i][0]), int(allowed[i][1]))
        for i in range(len(allowed))
        if flow.flow(edge_start + i) > 0
    ]
    # each of at most 2 × supply rounded terms is off by at most half a unit
    return (-flow.optimal_cost() + supply) / BOUND_SCALE, used


def lp_bound(problem: PlanningProblem) -> float:
    """The linear relaxation of the selection with its hard rules — slots, the maximum per
    person, a good interview for anyone invited — over every allowed pair (HiGHS): a tighter
    upper bound than the flow's, at the cost of an LP."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_people, n_stands = problem.shape
    pairs = np.argwhere(problem.allowed())
    n_pairs = len(pairs)
    if n_pairs == 0 or not problem.slots.sum():
        return 0.0
    person, stand = pairs[:, 0], pairs[:, 1]
    good = problem.good[person, stand]
    y = n_pairs + np.arange(n_people)  # the invited variables follow the pairs
    e = np.arange(n_pairs)
    rows = np.concatenate([stand, n_stands + person, n_stands + np.arange(n_people)])
    cols = np.concatenate([e, e, y])
    vals = np.concatenate(
        [np.ones(n_pairs), np.ones(n_pairs), np.full(n_people, -float(problem.max_per_person))]
    )
    g = np.flatnonzero(good)
    rows = np.concatenate(
        [rows, n_stands + n_people + person[g], n_stands + n_people + np.arange(n_people)]
    )
    cols = np.concatenate([cols, e[g], y])
    vals = np.concatenate([vals, -np.ones(len(g)), np.ones(n_people)])
    a = coo_matrix((vals, (rows, cols)), shape=(n_stands + 2 * n_people, n_pairs + n_people))
    b = np.concatenate([problem.slots.astype(float), np.zeros(2 * n_people)])
    c = -np.concatenate([problem.quality[person, stand], np.full(n_people, problem.first_bonus)])
    found = linprog(c, A_ub=a.tocsr(), b_ub=b, bounds=(0, 1), method="highs")
    if found.status != 0:
        raise RuntimeError(f"job-day LP relaxation failed: {found.message}")
    return float(-found.fun) + 1e-6


def _candidate_edges(
    problem: PlanningProblem, keep: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The pairs the selection model considers: each person's best stands, each stand's best
    people, the bound's pairs and the previous plan's."""
    q = np.where(problem.allowed(), problem.quality, -np.inf)
    chosen: set[tuple[int, int]] = set(keep) | set(problem.previous)
    per_person = max(PERSON_EDGES, problem.max_per_person + 1)
    n_people, n_stands = problem.shape
    if n_stands:
        k = min(per_person, n_stands)
        best = np.argpartition(-q, k - 1, axis=1)[:, :k]
        for p in range(n_people):
            chosen.update((p, int(s)) for s in best[p] if np.isfinite(q[p, s]))
    for s in range(n_stands):
        k = min(n_people, int(problem.slots[s]) * STAND_EDGES_PER_SLOT + 1)
        if k == 0:
            continue
        best_people = np.argpartition(-q[:, s], k - 1)[:k]
        chosen.update((int(p), s) for p in best_people if np.isfinite(q[p, s]))
        chosen.update((int(p), s) for p in np.flatnonzero(problem.good[:, s])[:1])  # one suitable
    return sorted(e for e in chosen if problem.allowed()[e])


def _kept_pairs(problem: PlanningProblem, x: Collection[tuple[int, int]]) -> list[tuple[int, int]]:
    """The previous plan's pairs that are still allowed, when together they still fit the
    selection's rules (stand slots, interviews per person, a suitable pair for each person):
    then they are kept as constraints, not only rewarded; otherwise (fewer slots) none is."""
    kept = sorted(e for e in problem.previous if e in x)
    per_stand: dict[int, int] = {}
    per_person: dict[int, list[tuple[int, int]]] = {}
    for e in kept:
        per_stand[e[1]] = per_stand.get(e[1], 0) + 1
        per_person.setdefault(e[0], []).append(e)
    fits = all(n <= int(problem.slots[st]) for st, n in per_stand.items()) and all(
        len(es) <= problem.max_per_person and any(problem.good[e] for e in es)
        for es in per_person.values()
    )
    return kept if fits else []


def _select(
    problem: PlanningProblem,
    edges: list[tuple[int, int]],
    hint: set[tuple[int, int]],
    bound: float,
    time_limit_s: float,
    workers: int,
) -> tuple[list[tuple[int, int]], str, int, int]:
    """The selection model (CP-SAT): chosen pairs, status, empty suitable stands, nominees left."""
    m = cp_model.CpModel()
    x = {e: m.new_bool_var(f"x{e[0]}_{e[1]}") for e in edges}
    by_person: dict[int, list[tuple[int, int]]] = {}
    by_stand: dict[int, list[tuple[int, int]]] = {}
    for e in edges:
        by_person.setdefault(e[0], []).append(e)
        by_stand.setdefault(e[1], []).append(e)
    invited = {p: m.new_bool_var(f"y{p}") for p in by_person}
    terms: list[cp_model.LinearExprT] = []
    n_nominees = 0
    for p, es in by_person.items():
        m.add(sum(x[e] for e in es) <= problem.max_per_person * invited[p])
        m.add(sum(x[e] for e in es) >= invited[p])
        good = [x[e] for e in es if problem.good[e]]
        if good:
            m.add(sum(good) >= invited[p])
        else:
            m.add(invited[p] == 0)
        terms.append(round(problem.first_bonus * SCALE) * invited[p])
        m.add_hint(invited[p], any(e in hint for e in es))
        if problem.nominated is not None and problem.nominated[p]:
            terms.append(round(SOFT_PENALTY * SCALE) * invited[p])
            n_nominees += 1
    for e in _kept_pairs(problem, x):  # a re-plan never drops an interview it can keep
        m.add(x[e] == 1)
    filled: dict[int, cp_model.IntVar] = {}
    for s, es in by_stand.items():
        m.add(sum(x[e] for e in es) <= int(problem.slots[s]))
        if int(problem.slots[s]) > 0 and any(problem.good[e] for e in es):
            filled[s] = m.new_bool_var(f"f{s}")
            m.add(sum(x[e] for e in es) >= filled[s])
            m.add_hint(filled[s], any(e in hint for e in es))
            terms.append(round(SOFT_PENALTY * SCALE) * filled[s])
    for e in edges:
        gain = float(problem.quality[e]) + (KEEP_BONUS if e in problem.previous else 0.0)
        terms.append(round(gain * SCALE) * x[e])
        m.add_hint(x[e], e in hint)
    # the flow's optimum bounds the score part: stated, it lets the search stop there
    slack = len(by_person) + len(edges)  # this model's own rounding, half a unit a term
    ceiling = math.ceil(bound * SCALE) + slack // 2 + 1
    ceiling += round(SOFT_PENALTY * SCALE) * (len(filled) + n_nominees)
    ceiling += round(KEEP_BONUS * SCALE) * len(problem.previous)
    m.add(sum(terms) <= ceiling)
    m.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 7
    solver.parameters.absolute_gap_limit = GAP_LIMIT * bound * SCALE + slack // 2 + 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"job-day selection found no plan: {solver.status_name(status)}")
    chosen = [e for e in edges if solver.boolean_value(x[e])]
    empty = sum(1 for s, f in filled.items() if not solver.boolean_value(f))
    nominees = [p for p in invited if problem.nominated is not None and problem.nominated[p]]
    left = sum(1 for p in nominees if not solver.boolean_value(invited[p]))
    if problem.nominated is not None:  # nominees with no allowed pair at all
        left += int(sum(1 for p in np.flatnonzero(problem.nominated) if int(p) not in invited))
    return chosen, solver.status_name(status), empty, left


def _timing(
    problem: PlanningProblem,
    chosen: list[tuple[int, int]],
    time_limit_s: float,
    workers: int,
) -> tuple[dict[tuple[int, int], int], str]:
    """Slots for the chosen interviews (CP-SAT); an interview left out has no slot."""
    m = cp_model.CpModel()
    start: dict[tuple[int, int], cp_model.IntVar] = {}
    present: dict[tuple[int, int], cp_model.IntVar] = {}
    stand_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    person_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    terms: list[cp_model.LinearExprT] = []
    for p, s in chosen:
        length = int(problem.slot_minutes[s])
        starts = [k * length for k in range(max(1, problem.day_minutes // length))]
        var = m.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"t{p}_{s}")
        here = m.new_bool_var(f"a{p}_{s}")
        start[(p, s)], present[(p, s)] = var, here
        stand_intervals.setdefault(s, []).append(
            m.new_optional_fixed_size_interval_var(var, length, here, f"i{p}_{s}")
        )
        person_intervals.setdefault(p, []).append(
            m.new_optional_fixed_size_interval_var(
                var, length + problem.min_gap_minutes, here, f"j{p}_{s}"
            )
        )
        terms.append(round((float(problem.quality[p, s]) + 1.0) * SCALE) * here)
        m.add_hint(here, True)
        if (p, s) in problem.previous:
            before = problem.previous[(p, s)] * length
            if before in starts:
                same = m.new_bool_var(f"k{p}_{s}")
                m.add(var == before).only_enforce_if(same)
                terms.append(round(KEEP_TIME_BONUS * SCALE) * same)
                m.add_hint(var, before)
    for intervals in stand_intervals.values():
        m.add_no_overlap(intervals)
    for intervals in person_intervals.values():
        m.add_no_overlap(intervals)
    m.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 7
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"job-day timing found no schedule: {solver.status_name(status)}")
    placed = {
        e: solver.value(start[e]) // int(problem.slot_minutes[e[1]])
        for e in chosen
        if solver.boolean_value(present[e])
    }
    return placed, solver.status_name(status)


def solve(problem: PlanningProblem, time_limit_s: float = 30.0, workers: int = 2) -> Plan:
    """Plan a job day: selection, then timing; with the upper bound to judge the result."""
    t0 = time.perf_counter()
    bound, bound_pairs = upper_bound(problem)
    bound = min(bound, lp_bound(problem))  # the tighter of the two, both upper bounds
    t1 = time.perf_counter()
    edges = _candidate_edges(problem, bound_pairs)
    hint = _repair(problem, bound_pairs)
    chosen, sel_status, empty, left = _select(problem, edges, hint, bound, time_limit_s, workers)
    t2 = time.perf_counter()
    placed, time_status = _timing(problem, chosen, max(5.0, time_limit_s / 2), workers)
    t3 = time.perf_counter()
    interviews = [
        Interview(
            person=p,
            stand=s,
            slot=k,
            start_minute=k * int(problem.slot_minutes[s]),
            end_minute=(k + 1) * int(problem.slot_minutes[s]),
            quality=round(float(problem.quality[p, s]), 4),
            good=bool(problem.good[p, s]),
        )
        for (p, s), k in sorted(placed.items(), key=lambda kv: (kv[0][1], kv[1]))
    ]
    pairs = [(i.person, i.stand) for i in interviews]
    kept = sum(1 for e in pairs if e in problem.previous)
    same_time = sum(1 for i in interviews if problem.previous.get((i.person, i.stand)) == i.slot)
    return Plan(
        interviews=interviews,
        objective=round(objective_of(problem, pairs), 6),
        bound=round(bound, 6),
        total_quality=round(float(sum(i.quality for i in interviews)), 4),
        invited=len({i.person for i in interviews}),
        selection_status=sel_status,
        timing_status=time_status,
        selection_seconds=round(t2 - t1, 3),
        timing_seconds=round(t3 - t2, 3),
        bound_seconds=round(t1 - t0, 3),
        candidate_edges=len(edges),
        dropped_in_timing=len(chosen) - len(placed),
        empty_stands_with_suitable=empty,
        nominated_not_invited=left,
        kept=kept,
        moved=kept - same_time,
    )


def _repair(problem: PlanningProblem, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The bound's pairs less those of people without a good interview (a feasible hint)."""
    good_people = {p for p, s in pairs if problem.good[p, s]}
    return {(p, s) for p, s in pairs if p in good_people}


def greedy_plan(problem: PlanningProblem) -> list[tuple[int, int]]:
    """The baseline a hand-made plan resembles: best pairs first, a person's first interview
    only if it is good, while slots and the person's maximum allow (benchmarks and tests)."""
    allowed = np.argwhere(problem.allowed())
    order = np.argsort(-problem.quality[allowed[:, 0], allowed[:, 1]], kind="stable")
    left = problem.slots.astype(int).copy()
    count: dict[int, int] = {}
    chosen = []
    for i in order:
        p, s = int(allowed[i][0]), int(allowed[i][1])
        if left[s] <= 0 or count.get(p, 0) >= problem.max_per_person:
            continue
        if p not in count and not problem.good[p, s]:
            continue
        chosen.append((p, s))
        left[s] -= 1
        count[p] = count.get(p, 0) + 1
    return chosen
