"""The secret scanner's URL patterns start only where a run of scheme characters starts.

Trying every letter of a long run of letters or hex as a URL scheme start made the scan quadratic (80 KB:
11.7 s, 1 MB about half an hour). The amount of work is bounded here, not timed: a pattern that may not start
inside a run does one pass per run. Speed itself is bench row B12 (bench/cases/scan.py).
"""

from __future__ import annotations

import pytest

from toolkit.secrets import (
    _ENCODED_URL_WITH_PASSWORD,
    _URL_WITH_PASSWORD,
    MASK,
    USERINFO_LIMIT,
    looks_like_secret,
    mask_text,
)


@pytest.mark.parametrize("pattern, text", [
    (_URL_WITH_PASSWORD, "zzpostgres://app:hunter2@db"),
    (_ENCODED_URL_WITH_PASSWORD, "zzpostgres%3A%2F%2Fapp%3Ahunter2%40db"),
])
def test_no_match_starts_inside_a_run_of_scheme_characters(pattern, text) -> None:
    # Every start inside the run would rescan the run to its end: one start per run keeps the scan linear.
    starts = [position for position in range(len("zzpostgres")) if pattern.match(text, position)]
    assert starts == [0]


@pytest.mark.parametrize("text, masked", [
    ("zzpostgres://app:hunter2@db/x", f"zzpostgres://app:{MASK}@db/x"),
    ("9+postgres://app:hunter2@db", f"9+postgres://app:{MASK}@db"),
    ("see 1.2-redis://u:hunter2@cache now", f"see 1.2-redis://u:{MASK}@cache now"),
    ("url=9postgres%3A%2F%2Fapp%3Ahunter2%40db", f"url=9postgres%3A%2F%2Fapp%3A{MASK}%40db"),
])
def test_text_before_the_scheme_is_kept_and_the_password_masked(text, masked) -> None:
    assert looks_like_secret(text)
    assert mask_text(text) == masked


@pytest.mark.parametrize("alphabet", ["abcdefghijklmnopqrstuvwxyz", "0123456789abcdef"])
def test_a_long_run_of_letters_or_hex_is_no_secret_and_unchanged(alphabet) -> None:
    text = (alphabet * 4096)[:65_536] + " postgres://app:hunter2@db"
    assert looks_like_secret(text)
    assert mask_text(text).endswith(f"postgres://app:{MASK}@db")
    assert not looks_like_secret(text[:65_536])


def test_the_userinfo_scan_is_bounded_so_an_at_sign_beyond_it_is_not_a_url() -> None:
    # Each `scheme://` start looks at most USERINFO_LIMIT characters ahead for the password's end: unbounded,
    # `a://b:` repeated n times rescanned the rest of the line from every start (4,000 repeats: 30 s).
    near = "postgres://app:" + "p" * (USERINFO_LIMIT - 1) + "@db"
    far = "postgres://app:" + "p" * (USERINFO_LIMIT + 500) + "@db"
    assert mask_text(near) == f"postgres://app:{MASK}@db"
    assert _URL_WITH_PASSWORD.search(far) is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", ["a://b:", "a://b:c @", "a%3A%2F%2Fb%3A", "a%3A%2F%2Fb%3A%40", "a://b:" * 100 + "@"])
def test_url_shaped_repeats_are_scanned_in_bounded_time(unit: str) -> None:
    # A hang guard, not a timing: quadratic, 96 kB of these took minutes; linear, well under a second.
    text = unit * (96_000 // len(unit))
    looks_like_secret(text)
    mask_text(text)
