"""One list of stateful resource types: every type `toolkit apply` refuses to destroy without --allow-destroy is
one the review warns about, with what is lost and the way back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.engine.guards import check_stateful_destroys, stateful_destroys
from toolkit.errors import GuardError
from toolkit.plans.reader import read_plan
from toolkit.plans.stateful import STATEFUL_RESOURCE_TYPES, STATEFUL_RISKS
from toolkit.review.analysis import build_review

# The types the apply guard and the review's warning knew before they shared one list (guard 23, review 18).
ONCE_GUARDED_ONLY = {"aws_rds_global_cluster", "aws_memorydb_cluster", "aws_neptune_cluster",
                     "aws_elasticsearch_domain", "aws_kinesis_stream"}


def _plan(actions: list[str]) -> dict:
    return {"format_version": "1.2", "terraform_version": "1.15.5", "resource_changes": [
        {"address": f"{kind}.this", "mode": "managed", "type": kind, "name": "this",
         "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": actions, "before": {"id": "x"}, "after": None if actions == ["delete"] else {}}}
        for kind in sorted(STATEFUL_RESOURCE_TYPES)]}


@pytest.mark.parametrize("actions", [["delete"], ["delete", "create"]], ids=["destroy", "replace"])
def test_the_review_warns_for_every_type_the_guard_protects(tmp_path: Path, actions: list[str]) -> None:
    plan = _plan(actions)
    guarded = {address.split(".")[0] for address, _ in stateful_destroys(plan)}
    assert guarded == STATEFUL_RESOURCE_TYPES
    with pytest.raises(GuardError):
        check_stateful_destroys("prod", plan, allowed=[])
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    review = build_review(read_plan(path), "prod")
    warned = {warning.type: warning for warning in review.warnings}
    assert set(warned) == guarded
    for kind, warning in warned.items():
        assert warning.data_at_risk == STATEFUL_RISKS[kind].data_at_risk and warning.recovery


def test_the_types_once_only_guarded_are_in_the_one_list() -> None:
    assert ONCE_GUARDED_ONLY <= STATEFUL_RESOURCE_TYPES
    assert len(STATEFUL_RESOURCE_TYPES) == 23


def test_a_tainted_stateful_resource_is_still_guarded_and_the_refusal_says_why_it_is_replaced() -> None:
    """After a Ctrl-C during an apply, the next plan replaces the half-created resources: the refusal said nothing of
    why (a newcomer's finding)."""
    plan = _plan(["delete", "create"])
    tainted, plain = plan["resource_changes"][:2]
    tainted["action_reason"] = "replace_because_tainted"
    with pytest.raises(GuardError) as refused:
        check_stateful_destroys("local", plan, allowed=[])
    lines = str(refused.value).splitlines()
    [shown] = [line for line in lines if line.startswith(f"  - replace {tainted['address']}")]
    assert "(tainted: an earlier apply created it and did not finish" in shown and "toolkit checkpoints local" in shown
    [other] = [line for line in lines if line.startswith(f"  - replace {plain['address']}")]
    assert "tainted" not in other
