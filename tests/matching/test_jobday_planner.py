"""The job-day planner on its own: constraints on any problem (hypothesis), the bound, the
greedy baseline, nominations, empty stands and re-planning stability."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.jobday_planner import (
    Plan,
    PlanningProblem,
    greedy_plan,
    objective_of,
    solve,
    upper_bound,
)


def random_problem(
    seed: int, people: int, stands: int, allowed_share: float = 0.7, max_per_person: int = 3
) -> PlanningProblem:
    """People and stands with a trade each: pairs of the same trade match better."""
    r = np.random.default_rng(seed)
    trade_p, trade_s = r.integers(0, 6, people), r.integers(0, 6, stands)
    quality = np.clip(r.beta(2, 5, (people, stands)) + 0.45 * (trade_p[:, None] == trade_s), 0, 1)
    quality = np.where(r.random((people, stands)) < allowed_share, quality, np.nan)
    return PlanningProblem(
        quality=quality,
        good=np.nan_to_num(quality) >= 0.55,
        slots=r.integers(0, 8, stands),
        slot_minutes=r.choice([10, 15, 20], stands),
        max_per_person=max_per_person,
        min_gap_minutes=int(r.choice([0, 5, 15])),
    )


def check_plan(problem: PlanningProblem, plan: Plan) -> None:
    """Every hard constraint of a plan."""
    per_person: dict[int, list[tuple[int, int]]] = {}
    per_stand: dict[int, list[int]] = {}
    for i in plan.interviews:
        assert problem.allowed()[i.person, i.stand], "a pair that is not allowed"
        assert i.start_minute >= 0 and i.end_minute <= problem.day_minutes
        assert i.end_minute - i.start_minute == problem.slot_minutes[i.stand]
        per_person.setdefault(i.person, []).append((i.start_minute, i.end_minute))
        per_stand.setdefault(i.stand, []).append(i.start_minute)
    for stand, slots in per_stand.items():
        assert len(slots) == len(set(slots)), "two interviews at one stand at once"
        assert len(slots) <= problem.slots[stand]
    for person, times in per_person.items():
        assert len(times) <= problem.max_per_person
        times.sort()
        for (_, end), (start, _) in itertools.pairwise(times):
            assert start >= end + problem.min_gap_minutes, "overlapping or too close"
        assert any(problem.good[person, i.stand] for i in plan.interviews if i.person == person)
    pairs = [(i.person, i.stand) for i in plan.interviews]
    assert len(pairs) == len(set(pairs)), "one person twice at a stand"
    assert plan.objective <= plan.bound + 1e-6
    assert plan.dropped_in_timing == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    people=st.integers(0, 40),
    stands=st.integers(0, 8),
    share=st.floats(0.0, 1.0),
    most=st.integers(1, 4),
)
def test_any_plan_keeps_every_constraint(
    seed: int, people: int, stands: int, share: float, most: int
) -> None:
    problem = random_problem(seed, people, stands, share, most)
    plan = solve(problem, time_limit_s=5, workers=1)
    check_plan(problem, plan)


def test_plan_reaches_the_bound_and_beats_greedy() -> None:
    problem = random_problem(3, 300, 20)
    plan = solve(problem, time_limit_s=20, workers=2)
    check_plan(problem, plan)
    assert plan.gap < 0.02
    greedy = objective_of(problem, greedy_plan(problem))
    assert plan.objective >= greedy
    assert plan.selection_status == "OPTIMAL"


def test_bound_is_an_upper_bound_of_brute_force() -> None:
    # two people, two stands, one slot each: enumerate every plan
    q = np.array([[0.9, 0.8], [0.85, np.nan]])
    problem = PlanningProblem(
        q, q > 0.5, slots=np.array([1, 1]), slot_minutes=np.array([15, 15]), max_per_person=2
    )
    best = max(
        objective_of(problem, pairs)
        for pairs in ([], [(0, 0)], [(0, 1)], [(1, 0)], [(0, 0), (0, 1)], [(0, 1), (1, 0)])
    )
    bound, _ = upper_bound(problem)
    assert best == objective_of(problem, [(0, 1), (1, 0)])
    assert best <= bound < best + 1e-4
    plan = solve(problem, time_limit_s=5, workers=1)
    assert abs(plan.objective - best) < 1e-6


def test_first_interviews_spread_before_third_ones() -> None:
    # one strong candidate and three others, four slots: a first interview for each of the
    # others is worth more than the strong one's second and third (the bonus spreads chances)
    q = np.array([[0.7, 0.7, 0.7], [0.6, 0.6, 0.6], [0.6, 0.6, 0.6], [0.6, 0.6, 0.6]])
    problem = PlanningProblem(
        q, q > 0.5, slots=np.array([2, 1, 1]), slot_minutes=np.array([15, 15, 15])
    )
    plan = solve(problem, time_limit_s=5, workers=1)
    assert plan.invited == 4


def test_a_person_without_a_good_pair_is_not_invited() -> None:
    q = np.array([[0.9, 0.4], [0.45, 0.4]])
    good = np.array([[True, False], [False, False]])
    problem = PlanningProblem(q, good, slots=np.array([3, 3]), slot_minutes=np.array([15, 15]))
    plan = solve(problem, time_limit_s=5, workers=1)
    assert {i.person for i in plan.interviews} == {0}


def test_a_stand_with_suitable_people_is_not_left_empty() -> None:
    # stand 1 is worth less to everyone, but person 1 is rated good there: it gets someone
    q = np.array([[0.9, 0.2], [0.9, 0.3]])
    good = np.array([[True, False], [True, True]])
    problem = PlanningProblem(
        q, good, slots=np.array([2, 1]), slot_minutes=np.array([15, 15]), max_per_person=1
    )
    plan = solve(problem, time_limit_s=5, workers=1)
    assert plan.empty_stands_with_suitable == 0
    assert any(i.stand == 1 for i in plan.interviews)


def test_nominated_people_are_invited_when_they_can_be() -> None:
    q = np.array([[0.9], [0.9], [0.56]])
    nominated = np.array([False, False, True])
    problem = PlanningProblem(
        q, q > 0.5, slots=np.array([2]), slot_minutes=np.array([15]), nominated=nominated
    )
    plan = solve(problem, time_limit_s=5, workers=1)
    assert 2 in {i.person for i in plan.interviews}
    assert plan.nominated_not_invited == 0


def test_replanning_after_a_cancellation_keeps_everyone_else() -> None:
    problem = random_problem(11, 120, 10)
    first = solve(problem, time_limit_s=10, workers=2)
    gone = first.interviews[0].person
    quality = problem.quality.copy()
    quality[gone, :] = np.nan  # the cancelled person: no pair allowed any more
    previous = {(i.person, i.stand): i.slot for i in first.interviews if i.person != gone}
    again = PlanningProblem(
        quality,
        problem.good,
        problem.slots,
        problem.slot_minutes,
        problem.max_per_person,
        problem.min_gap_minutes,
        previous=previous,
    )
    second = solve(again, time_limit_s=10, workers=2)
    check_plan(again, second)
    kept = {(i.person, i.stand): i.slot for i in second.interviews}
    assert all(pair in kept for pair in previous), "an interview of someone else was dropped"
    assert second.kept == len(previous)
    assert second.moved <= len(previous) // 10  # times stay put where possible
    assert gone not in {i.person for i in second.interviews}


def test_added_slots_keep_the_plan_and_fill_the_new_ones() -> None:
    problem = random_problem(5, 150, 6)
    first = solve(problem, time_limit_s=10, workers=2)
    slots = problem.slots.copy()
    slots[0] += 4
    previous = {(i.person, i.stand): i.slot for i in first.interviews}
    again = PlanningProblem(
        problem.quality,
        problem.good,
        slots,
        problem.slot_minutes,
        problem.max_per_person,
        problem.min_gap_minutes,
        previous=previous,
    )
    second = solve(again, time_limit_s=10, workers=2)
    check_plan(again, second)
    assert second.kept == len(previous)
    assert len(second.interviews) >= len(first.interviews)
