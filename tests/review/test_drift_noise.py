"""Drift that means something (issue 28 item 3): no empty entries, no attributes AWS moves by itself, and the
drift shown after the changes, in every review format."""

from __future__ import annotations

import json
from pathlib import Path

from tests.review.helpers import all_outputs, review_of
from toolkit.review.drift_filter import VOLATILE_ATTRIBUTES


def _entry(address: str, type_name: str, before: dict, after: dict) -> dict:
    return {"address": address, "mode": "managed", "type": type_name, "name": address.rsplit(".", 1)[-1],
            "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {},
                       "before_sensitive": {}, "after_sensitive": {}}}


def _plan(tmp_path: Path) -> Path:
    drift = [_entry(f"aws_lb_target_group.quiet{number}", "aws_lb_target_group", {"name": "tg", "tags": None},
                    {"name": "tg", "tags": None}) for number in range(10)]
    drift.append(_entry("aws_db_instance.main", "aws_db_instance",
                        {"identifier": "db", "latest_restorable_time": "2026-12-07T01:00:00Z"},
                        {"identifier": "db", "latest_restorable_time": "2026-12-07T01:05:00Z"}))
    drift.append(_entry("aws_security_group.web", "aws_security_group", {"description": "web", "ingress_open": False},
                        {"description": "web", "ingress_open": True}))
    plan = {"format_version": "1.2", "terraform_version": "1.15.5", "resource_drift": drift,
            "resource_changes": [_entry("aws_ecs_service.app", "aws_ecs_service", {"desired_count": 2},
                                        {"desired_count": 3})]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_only_real_drift_is_kept_and_counted(tmp_path: Path) -> None:
    review = review_of(_plan(tmp_path))
    assert [record.address for record in review.drift] == ["aws_security_group.web"]
    assert review.summary.drift == 1
    assert "latest_restorable_time" in VOLATILE_ATTRIBUTES["aws_db_instance"]


def test_drift_comes_after_the_changes_in_every_format(tmp_path: Path) -> None:
    for name, text in all_outputs(_plan(tmp_path)).items():
        assert "quiet" not in text and "latest_restorable_time" not in text, name
        assert text.index("aws_security_group.web") > text.index("aws_ecs_service.app"), name
        if not name.startswith("json"):
            assert text.lower().index("changed outside terraform") > text.index("aws_ecs_service.app"), name
