"""The password rule (NIST SP 800-63B §5.1.1.2, OWASP ASVS v4 §2.1): long, and not guessable.

A password is accepted when it has at least :data:`MIN_LENGTH` characters and zxcvbn (Dropbox's
estimator, bundled with its frequency lists: the 30,000 commonest leaked passwords, English words,
names, keyboard walks, sequences, repeats and dates) estimates at least 10^8 guesses for it
(score 3 of 4). The username and this service's own words (:data:`CONTEXT_WORDS`: the places,
institutions and French keyboard rows a Belgian user would reach for) count as dictionary words,
as NIST asks for "context-specific words". No composition rule (digits, capitals) is imposed:
NIST advises against them. Only the first :data:`ESTIMATED_PREFIX` characters are estimated
(zxcvbn's own limit); a passphrase that long is not the weak case.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from tremplin.errors import WeakPasswordError

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
ESTIMATED_PREFIX = 72

CONTEXT_WORDS: tuple[str, ...] = (
    "tremplin",
    "cpas",
    "forem",
    "actiris",
    "maison",
    "emploi",
    "job",
    "coach",
    "admin",
    "employeur",
    "beneficiaire",
    "insertion",
    "bruxelles",
    "brussel",
    "liege",
    "molenbeek",
    "namur",
    "charleroi",
    "mons",
    "wallonie",
    "belgique",
    "motdepasse",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "bonjour",
    "soleil",
    "secret",
)


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`WeakPasswordError` (French first, with what to do) unless the rule holds."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(
            f"mot de passe trop court : au moins {MIN_LENGTH} caractères",
            f"password too short: at least {MIN_LENGTH} characters",
        )
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(
            f"mot de passe trop long : au plus {MAX_LENGTH} caractères",
            f"password too long: at most {MAX_LENGTH} characters",
        )
    context = [*CONTEXT_WORDS, *([username.lower()] if username else [])]
    estimate = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=context)
    if estimate["score"] < MIN_SCORE:
        warning = estimate["feedback"].get("warning") or "easy to guess"
        raise WeakPasswordError(
            "mot de passe trop facile à deviner : évitez les mots de passe courants, les suites "
            "(123456, azerty), les répétitions, les dates, votre nom d'utilisateur et les mots du "
            "service ; une phrase de quatre mots ou plus est plus sûre",
            f"password too easy to guess ({warning}); a passphrase of four words or more is safer",
        )
