"""No planted secret ever reaches any output format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.review.helpers import CANARY, all_outputs, review_of


def _assert_no_canary(outputs: dict[str, str]) -> None:
    for name, text in outputs.items():
        leaked = CANARY.search(text)
        assert leaked is None, f"{name} output leaks {text[leaked.start() - 60 : leaked.end() + 40]!r}"


def test_fixture_canaries_are_really_in_the_plan(current_plan: Path) -> None:
    # Guards the test below: the fixture must carry the secrets it claims to carry.
    text = current_plan.read_text()
    for canary in ("CANARY-varpass-91c2e", "CANARY-dbpass-before-1a9f", "CANARY-ssm-before-4d77",
                   "CANARY-output-3b7d0", "CANARY-secret-string-a51b", "CANARY-ssm-drift-after-8f2",
                   "CANARY-output-nested-after-88", "CANARY-token-55aa1"):
        assert canary in text


def test_current_format_fixture_leaks_nothing(current_plan: Path) -> None:
    _assert_no_canary(all_outputs(current_plan))


def test_generated_plan_leaks_nothing(generated_plan: Callable[[int], Path]) -> None:
    path = generated_plan(300)
    assert "GENERATED-SECRET-CANARY" in path.read_text()
    _assert_no_canary(all_outputs(path))


@pytest.mark.slow
def test_real_plan_leaks_nothing(real_plan: Path) -> None:
    text = real_plan.read_text()
    assert "CANARY-tf103-password-9z" in text
    _assert_no_canary(all_outputs(real_plan))


def test_sensitive_variable_value_is_hidden_even_when_unmarked(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        '{"format_version":"1.2","variables":{"token":{"value":"CANARY-unmarked-long"},"short":{"value":"abc"}},'
        '"configuration":{"root_module":{"variables":{"token":{"sensitive":true},"short":{"sensitive":true}}}},'
        '"resource_changes":[{"address":"aws_ssm_parameter.p","mode":"managed","type":"aws_ssm_parameter",'
        '"name":"p","change":{"actions":["update"],"before":{"value":"x","label":"abc","note":"abcdef"},'
        '"after":{"value":"prefix-CANARY-unmarked-long","label":"abd","note":"abcdeg"},'
        '"after_unknown":{},"before_sensitive":{},"after_sensitive":{}}}]}'
    )
    for every_diff in (False, True):
        review = review_of(plan, every_diff=every_diff)
        rows = {diff.path: (diff.before, diff.after) for diff in review.diffs(review.changes[0])}
        # Long secrets are hidden wherever they appear; short ones only where a value equals them.
        assert rows == {
            "value": ('"x"', "(sensitive)"),
            "label": ("(sensitive)", '"abd"'),
            "note": ('"abcdef"', '"abcdeg"'),
        }


def test_secret_with_quotes_is_hidden_in_json_text(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    secret = 'CANARY"quoted\\slash'
    plan.write_text(json.dumps({
        "format_version": "1.2",
        "variables": {"token": {"value": secret}},
        "configuration": {"root_module": {"variables": {"token": {"sensitive": True}}}},
        "resource_changes": [{
            "address": "aws_ssm_parameter.p", "mode": "managed", "type": "aws_ssm_parameter", "name": "p",
            "change": {"actions": ["update"], "before": {"value": "x"}, "after": {"value": "a " + secret},
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}},
        }],
    }))
    _assert_no_canary(all_outputs(plan))


def test_long_value_is_hidden_before_it_is_shortened(tmp_path: Path) -> None:
    # A secret at the cut-off point of a long value must not leave half of itself visible.
    plan = tmp_path / "plan.json"
    secret = "CANARY-at-the-cut-" + "s" * 40
    plan.write_text(json.dumps({
        "format_version": "1.2",
        "variables": {"token": {"value": secret}},
        "configuration": {"root_module": {"variables": {"token": {"sensitive": True}}}},
        "resource_changes": [{
            "address": "aws_ssm_parameter.p", "mode": "managed", "type": "aws_ssm_parameter", "name": "p",
            "change": {"actions": ["update"], "before": {"value": "x"}, "after": {"value": "p" * 280 + secret},
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}},
        }],
    }))
    _assert_no_canary(all_outputs(plan))
