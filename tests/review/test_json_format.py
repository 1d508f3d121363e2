"""`--format json`: the stable schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tests.review.helpers import review_of
from toolkit.review.render_json import write_json

TOP_LEVEL_KEYS = [
    "schema_version", "environment", "source", "terraform_version", "format_version", "errored", "offline",
    "summary_line", "cost_line", "cost", "summary", "warnings", "failed_checks", "outputs", "changes", "drift",
]
CHANGE_KEYS = {
    "address", "module", "mode", "type", "name", "action", "group", "actions", "action_reason",
    "replace_paths", "previous_address", "importing_id", "deposed", "reasons",
}


def _document(path: Path) -> dict:
    out = io.StringIO()
    write_json(review_of(path), out)
    document = json.loads(out.getvalue())
    # Diffs computed while reading (what `toolkit review --format json` does) give the same document.
    eager = io.StringIO()
    write_json(review_of(path, every_diff=True), eager)
    assert eager.getvalue() == out.getvalue()
    return document


def test_schema(current_plan: Path) -> None:
    document = _document(current_plan)
    assert list(document) == TOP_LEVEL_KEYS
    assert document["schema_version"] == 1
    assert document["summary_line"] == "Plan: 2 to add, 4 to change, 3 to replace, 1 to destroy."
    assert document["summary"] == {
        "add": 2, "change": 4, "replace": 3, "destroy": 1, "import": 1, "move": 1, "read": 1, "forget": 0,
        "no_op": 3, "drift": 2, "output_changes": 4, "failed_checks": 1,
    }
    assert [warning["address"] for warning in document["warnings"]] == [
        "aws_s3_bucket.logs", "aws_kms_key.main", "module.database.aws_db_instance.this",
    ]
    assert set(document["warnings"][2]) == {
        "address", "module", "type", "action", "data_at_risk", "recovery", "reasons", "plan_does", "message",
    }
    assert document["warnings"][2]["message"] == (
        "module.database.aws_db_instance.this will be REPLACED: all data in the database is lost unless "
        "restored — this plan: the old one is destroyed first, then the replacement created — recovery: "
        "`toolkit rollback staging --step db-restore` (restores the pre-apply snapshot)"
    )
    assert len(document["changes"]) == 13
    for change in document["changes"]:
        assert set(change) >= CHANGE_KEYS, change["address"]
        assert ("attributes" in change) == (change["group"] in ("update", "replace")), change["address"]
    assert document["failed_checks"] == [{
        "address": "aws_s3_bucket.assets", "kind": "resource", "status": "fail",
        "problems": ["aws_s3_bucket.assets: Asset buckets must have versioning enabled."],
    }]


def test_change_entries(current_plan: Path) -> None:
    changes = {change["address"]: change for change in _document(current_plan)["changes"]}
    database = changes["module.database.aws_db_instance.this"]
    assert database["module"] == "module.database"
    assert database["actions"] == ["delete", "create"]
    assert database["action"] == "replace"
    assert database["action_reason"] == "replace_because_cannot_update"
    assert database["replace_paths"] == ["engine_version"]
    assert database["attributes"] == [
        {"path": "engine_version", "before": '"15.7"', "after": '"16.4"'},
        {"path": "password", "before": "(sensitive)", "after": "(sensitive)"},
        {"path": "endpoint", "before": '"staging-db.abc.eu-west-1.rds.amazonaws.com:5432"',
         "after": "(known after apply)"},
        {"path": "id", "before": "null", "after": "(known after apply)"},
    ]
    assert changes["aws_iam_role.app"]["group"] == "move"
    assert changes["aws_iam_role.app"]["previous_address"] == "aws_iam_role.application"
    assert changes["aws_s3_bucket.assets"]["importing_id"] == "staging-assets"
    assert changes["aws_s3_bucket.assets"]["group"] == "import"
    assert "aws_cloudwatch_log_group.app" not in changes  # plain no-op


def test_drift_and_outputs(current_plan: Path) -> None:
    document = _document(current_plan)
    assert [entry["address"] for entry in document["drift"]] == ["aws_security_group.web", "aws_ssm_parameter.db"]
    assert document["drift"][0]["attributes"] == [
        {"path": "tags.Owner", "before": '"platform"', "after": '"someone-else"'}
    ]
    outputs = {output["name"]: output for output in document["outputs"]}
    assert outputs["db_password"] == {
        "name": "db_password", "action": "create", "before": "null", "after": "(sensitive)", "sensitive": True,
    }
    assert outputs["connection"]["sensitive"] is True
    assert "vpc_id" not in outputs
