"""`guards.check_reviewed_plan` value by value: what terraform shows of the binary plan, redacted as plan.json was,
must be plan.json; replace_paths (listed from a set by terraform, in no fixed order) are compared as a set."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from toolkit.engine.guards import check_reviewed_plan
from toolkit.engine.redact import redact_plan
from toolkit.errors import GuardError
from toolkit.plans.saved import summarize_plan


def _plan(cidr: str, replace_paths: list[list[str]]) -> dict[str, Any]:
    return {"format_version": "1.2", "resource_changes": [{
        "address": "aws_security_group.app", "mode": "managed", "type": "aws_security_group", "name": "app",
        "change": {"actions": ["delete", "create"], "before": {"name": "app", "cidr": "10.0.0.0/8"},
                   "after": {"name": "app2", "cidr": cidr, "password": "hunter2"}, "after_unknown": {},
                   "before_sensitive": {}, "after_sensitive": {"password": True},
                   "replace_paths": replace_paths}}], "output_changes": {}}


def test_the_reviewed_plan_passes_whatever_order_replace_paths_come_in() -> None:
    reviewed = redact_plan(_plan("10.0.0.0/8", [["name"], ["cidr"]]))
    applied = _plan("10.0.0.0/8", [["cidr"], ["name"]])
    summary = check_reviewed_plan("prod", "P1", applied, reviewed, summarize_plan(reviewed))
    assert summary.text() == summarize_plan(reviewed).text()
    assert applied["resource_changes"][0]["change"]["after"]["password"] == "hunter2"  # not redacted in place


def test_other_values_at_the_same_address_are_refused() -> None:
    reviewed = redact_plan(_plan("10.0.0.0/8", [["cidr"]]))
    applied = _plan("0.0.0.0/0", [["cidr"]])
    with pytest.raises(GuardError) as refused:
        check_reviewed_plan("prod", "P1", copy.deepcopy(applied), reviewed, summarize_plan(reviewed))
    assert str(refused.value) == (
        "refusing to apply the saved plan P1 of prod: the plan file is not the plan that was reviewed:\n"
        "  - the plan file would change aws_security_group.app with other values than the reviewed plan.json "
        "shows\nRun `toolkit plan prod` and review it again.")
