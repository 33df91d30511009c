"""The sample generator: deterministic, realistic proportions, valid contracts, detectable bias."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from data_contracts.enums import OpportunityKind, Origin, OutcomeType
from tremplin.sample import generate, write_sample


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = write_sample(generate(7, 200, 60), tmp_path / "a", 7, False)
    b = write_sample(generate(7, 200, 60), tmp_path / "b", 7, False)
    c = write_sample(generate(8, 200, 60), tmp_path / "c", 8, False)
    assert a["files"] == b["files"]
    assert (
        a["files"]["opportunities.jsonl"]["sha256"] != c["files"]["opportunities.jsonl"]["sha256"]
    )


def test_default_sample_has_the_promised_shape() -> None:
    data = generate(42)
    kinds = Counter(o.kind for o in data.opportunities)
    assert len(data.opportunities) == 3000 and len(data.beneficiaries) == 800
    assert kinds[OpportunityKind.JOB_OFFER] == 2100 and kinds[OpportunityKind.TRAINING] == 450
    assert len({o.title for o in data.opportunities}) > 1500  # titles vary
    assert {b.cpas_id for b in data.beneficiaries} == {
        "cpas-liege",
        "cpas-molenbeek",
        "cpas-seraing",
        "cpas-herstal",
    }
    assert any(o.contract_type.value == "article_60" for o in data.opportunities)
    events = Counter(e.type for e in data.outcomes)
    assert events[OutcomeType.HIRED] > 50 and events[OutcomeType.REFUSED] > 100
    assert data.job_days and data.job_days[0].stands


def test_employer_bias_lowers_hiring_of_the_biased_group() -> None:
    def hire_rate(biased: bool) -> float:
        data = generate(42, employer_bias=biased)
        origin = {b.id: b.monitoring.origin for b in data.beneficiaries}
        applied = [
            e
            for e in data.outcomes
            if e.type is OutcomeType.APPLIED and origin[e.beneficiary_id] is Origin.NON_EU
        ]
        hired = [
            e
            for e in data.outcomes
            if e.type is OutcomeType.HIRED and origin[e.beneficiary_id] is Origin.NON_EU
        ]
        return len(hired) / max(1, len(applied))

    assert hire_rate(True) < 0.85 * hire_rate(False)
