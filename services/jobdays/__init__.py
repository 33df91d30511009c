"""Job days: who is invited to which stand and when, re-planning, and what people receive.

* **Who may come**: beneficiaries of the job day's CPAS (within the Maison de l'emploi's
  partners) who are in an employment phase (job search, article 60) and consented to be
  presented to employers, or whom their coach nominated; never one whose coach cancelled; and
  only within travel reach of the venue (their maximum distance and travel time).
* **What a pair is worth**: the served engine's own view (:func:`matching.shortlist.
  score_opportunities`) of the stand's offers for the person: the best offer's match quality,
  and *good* when that offer is among the :data:`GOOD_RANK` best the whole catalogue has for
  them. A stand offer the person's hard constraints rule out is not allowed.
* **The plan**: :func:`matching.jobday_planner.solve` (exact models on OR-Tools, with the
  relaxation's bound). Each plan is a new version; re-planning after a cancellation or a
  change of slots starts from the current plan, so everyone else keeps their interview and,
  when possible, its time.

Modules: :mod:`.access` (which job days a caller sees), :mod:`.scoring` (who may come and
what each pair is worth), :mod:`.planning` (the plan and its reading), :mod:`.changes`
(nominations, cancellations, slots, moves), :mod:`.handouts` (stand lists, convocations).
"""

from services.jobdays.access import job_day_not_found, list_job_days
from services.jobdays.changes import move_interview, set_participation, set_stand_slots
from services.jobdays.handouts import convocations, stand_list
from services.jobdays.planning import current_plan, job_day_stands, plan_job_day
from services.jobdays.scoring import GOOD_RANK, JOB_SEARCH_PHASES

__all__ = [
    "GOOD_RANK",
    "JOB_SEARCH_PHASES",
    "convocations",
    "current_plan",
    "job_day_not_found",
    "job_day_stands",
    "list_job_days",
    "move_interview",
    "plan_job_day",
    "set_participation",
    "set_stand_slots",
    "stand_list",
]
