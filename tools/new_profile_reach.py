"""How many opportunities a profile typed from scratch can be offered on the demo sample: the
issue-34 measurement (« aide ménagère », postcode 4000, no licence, French level not
assessed), printed as JSON with what each hard constraint removed.

Run from a checkout: ``PYTHONPATH=. .venv/bin/python tools/new_profile_reach.py`` (on an
older commit too, to compare)."""

from __future__ import annotations

import json

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile
from matching.filters import FilterColumns, apply_filters
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate


def main() -> None:
    """Print the reach of the first-morning profile on the 3,000-offer demo sample."""
    offers = generate(42, n_opportunities=3000, n_beneficiaries=50).opportunities
    cols = FilterColumns.of(offers)
    person = BeneficiaryProfile.model_validate(
        {
            "id": "premier-matin",
            "cpas_id": "cpas-liege",
            "aspirations": {"text": "aide ménagère"},
            "constraints": {"home_postcode": 4000},  # no licence; French level not assessed
        }
    )
    found = apply_filters(person, cols, REFERENCE_DATE, frozenset(OpportunityKind))
    print(
        json.dumps(
            {
                "realistic": int(found.eligible.sum()),
                "of": int(found.wanted.sum()),
                "french_to_check": int((found.eligible & (cols.french_rank > 0)).sum()),
                "removed": found.removed,
            }
        )
    )


if __name__ == "__main__":
    main()
