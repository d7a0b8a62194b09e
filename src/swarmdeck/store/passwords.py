"""What a password must be: at least ``MIN_PASSWORD`` characters, and not easy to guess.

Guessability is estimated offline by zxcvbn (Dropbox's estimator, packaged with its
dictionaries: common passwords, names, English words, keyboard patterns, sequences, repeats,
dates), with the username and the product's name as words an attacker would try first. A
password is accepted from score 3 ("safely unguessable": about 10^8 guesses or more). The
refusal says why and what helps, in zxcvbn's words ("this is similar to a commonly used
password; add another word or two").

Only the first ``ESTIMATED`` characters are estimated: zxcvbn refuses longer input, and its
cost grows with the length; a password whose first 72 characters are strong is strong.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from swarmdeck.store.errors import Invalid

MIN_PASSWORD = 10
MIN_SCORE = 3  # zxcvbn's scale: 0 too guessable … 4 very unguessable
ESTIMATED = 72
PRODUCT_WORDS = ("swarmdeck", "swarm", "deck", "docker", "console", "portainer", "admin")


@cache
def _estimator() -> Any:
    """zxcvbn, loaded on first use (its dictionaries take about 0.4 s to load)."""
    from zxcvbn import zxcvbn

    return zxcvbn


def check_password(password: str, username: str = "") -> None:
    """Refuse a short or guessable password with a message that says why."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters")
    words = [w for w in (username, *PRODUCT_WORDS) if w]
    result = _estimator()(password[:ESTIMATED], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result.get("feedback") or {}
    said = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    why = "; ".join(_clause(part) for text in said for part in text.split(". ") if part.strip())
    raise Invalid("this password is too easy to guess" + (f": {why}" if why else "; add another word or two"))


def _clause(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:]
