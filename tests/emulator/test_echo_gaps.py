"""Which changes of a plan on the emulator are moto's known echo gaps (toolkit.emulator.echo_gaps)."""

from __future__ import annotations

from typing import Any

from toolkit.emulator import MOTO_ECHO_GAPS, changed_attributes, echo_gaps


def change(kind: str, before: dict[str, Any], after: dict[str, Any], actions: list[str] | None = None,
           unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"address": f"{kind}.x", "mode": "managed", "type": kind,
            "change": {"actions": actions or ["update"], "before": before, "after": after,
                       "after_unknown": unknown or {}}}


def test_known_gaps_are_named_and_anything_else_is_unexplained() -> None:
    plan = {"resource_changes": [
        change("aws_db_parameter_group", {"parameter": []}, {"parameter": [{"name": "work_mem"}]}),
        change("aws_s3_bucket", {"tags": {}, "bucket": "b"}, {"tags": {"A": "1"}, "bucket": "b"}),
        change("aws_ecs_service", {"desired_count": 1}, {"desired_count": 2}),
        change("aws_vpc_security_group_egress_rule", {"description": None}, {"description": None},
               unknown={"description": True}),
        change("aws_iam_role", {"name": "r"}, {"name": "r"}, actions=["no-op"]),
        {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document",
         "change": {"actions": ["read"], "before": None, "after": {"json": "{}"}}},
    ]}
    gaps = echo_gaps(plan)
    assert gaps.known == {("aws_db_parameter_group", "parameter"), ("aws_s3_bucket", "tags"),
                          ("aws_vpc_security_group_egress_rule", "description")}
    assert gaps.unexplained == {("aws_ecs_service", "desired_count")}
    text = gaps.text("local")
    assert "3 changed attribute(s)" in text and "other changes: aws_ecs_service.desired_count" in text


def test_a_plan_of_only_gaps_says_so_and_a_plan_without_any_says_nothing() -> None:
    only = echo_gaps({"resource_changes": [change("aws_s3_bucket", {"tags": {}}, {"tags": {"A": "1"}})]})
    assert only.text("local").endswith("other changes: none")
    assert echo_gaps({"resource_changes": []}).text("local") == ""
    # A creation (before null) is an ordinary change, not a gap.
    created = change("aws_s3_bucket", {}, {"tags": {"A": "1"}}, actions=["create"])
    created["change"]["before"] = None
    assert changed_attributes({"resource_changes": [created]}) == {("aws_s3_bucket", "tags")}
    first_plan = echo_gaps({"resource_changes": [created]})
    assert first_plan.known == frozenset() and first_plan.text("local") == ""


def test_every_gap_is_documented() -> None:
    from pathlib import Path

    engine_doc = (Path(__file__).resolve().parents[2] / "docs" / "ENGINE.md").read_text(encoding="utf-8")
    section = engine_doc.split("### What moto does not echo", 1)[1].split("\n## ", 1)[0]
    for kind, attribute in MOTO_ECHO_GAPS:
        family = kind.removesuffix("_egress_rule").removesuffix("_ingress_rule")
        assert f"`{attribute}`" in section and family in section, (kind, attribute)
