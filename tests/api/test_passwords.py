"""The password rule: the commonest and the obviously weak ones are refused, in French first."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tremplin.errors import WeakPasswordError
from tremplin.passwords import MIN_LENGTH, check_password

WEAK = [
    "aaaaaaaaaaaa",  # repeats (the example)
    "123456789012",  # a sequence
    "password1234",  # the commonest leaked passwords
    "azertyuiop12",  # the Belgian keyboard's top row
    "qwertyuiop12",
    "motdepasse123",
    "Tremplin2026!",  # the service's own name and a year
    "Bruxelles1000",
    "coach.liege2026",  # the username itself
]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_with_a_french_reason(password: str) -> None:
    with pytest.raises(WeakPasswordError) as refused:
        check_password(password, "coach.liege")
    assert refused.value.message.startswith("mot de passe trop")
    assert "/" in refused.value.message  # French / English


@pytest.mark.parametrize(
    "password", ["motdepasse-solide-123", "un-long-mot-de-passe", "cheval agrafe pile correcte"]
)
def test_passphrases_are_accepted(password: str) -> None:
    check_password(password, "coach.liege")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(WeakPasswordError, match="au moins 12"):
        check_password("Xk9#qv2!Lp")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=20, max_size=40))
def test_random_long_strings_pass_or_fail_cleanly(password: str) -> None:
    """Any input gets a verdict (no crash), and a refusal always says what to do."""
    try:
        check_password(password)
    except WeakPasswordError as exc:
        assert "mot de passe" in exc.message
    assert len(password) >= MIN_LENGTH
