"""Reading plan JSON: every supported format version, and clear errors for anything else."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.review.helpers import review_of
from toolkit.plans.errors import PlanFormatError
from toolkit.plans.reader import read_plan
from toolkit.review.analysis import build_review


def _write(tmp_path: Path, text: str | bytes, name: str = "plan.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "{path} is empty, not a plan JSON"),
        ("Terraform will perform the following actions:\n",
         "{path} is not a plan JSON: it does not start with '{{' (expected the output of "
         "`terraform show -json PLANFILE`)"),
        ('{"format_version": "1.2", "resource_changes": [{"address": "a"',
         "{path} is truncated: the JSON ends after 62 characters before the document is complete "
         "(was the plan written completely? re-run `terraform show -json`)"),
        ('{"format_version": "1.2",\n "resource_changes": [} ',
         "{path} is not valid JSON: expected a value at line 2 column 23"),
        ('{"format_version": "1.0", "values": {"root_module": {}}}',
         "{path} is JSON but not a Terraform plan: it has no resource_changes (expected the output of "
         "`terraform show -json PLANFILE`)"),
        ('{"resource_changes": []}',
         "{path} is JSON but not a Terraform plan: it has no format_version (expected the output of "
         "`terraform show -json PLANFILE`)"),
        ('{"format_version": "2.0", "resource_changes": []}',
         "{path}: format_version 2.0 is not supported: this toolkit reads plan JSON format 0.x/1.x"),
        ('{"format_version": "1.2", "resource_changes": {}}',
         "{path}: 'resource_changes' is not an array, so this is not a plan JSON"),
        ('{"format_version": "1.2", "resource_changes": []} {}',
         "{path} is not valid JSON: extra data after the JSON document at line 1 column 51"),
    ],
    ids=["empty", "not-json", "truncated", "malformed", "state-not-plan", "no-format-version",
         "format-2", "changes-not-array", "trailing-data"],
)
def test_rejects_with_a_clear_message(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)
    assert str(raised.value) == message.format(path=path)


def test_rejects_a_binary_plan_file(tmp_path: Path) -> None:
    path = _write(tmp_path, b"PK\x03\x04\x14\x00\x08\x00\xff\xfe", "plan.tfplan")
    with pytest.raises(PlanFormatError) as raised:
        read_plan(path)
    assert str(raised.value) == (
        f"{path} is not JSON: byte 8 is not UTF-8 (is it a binary plan file? convert it with "
        "`terraform show -json PLANFILE`)"
    )


def test_truncated_real_plan(tmp_path: Path, current_plan: Path) -> None:
    text = current_plan.read_text()
    path = _write(tmp_path, text[: len(text) // 2])
    with pytest.raises(PlanFormatError, match="is truncated: the JSON ends after"):
        read_plan(path)


def test_format_0_1_without_masks(tmp_path: Path) -> None:
    # Terraform 0.12 wrote no sensitive masks, no action_reason, no replace_paths.
    path = _write(tmp_path, (
        '{"format_version":"0.1","terraform_version":"0.12.31","planned_values":{},'
        '"resource_changes":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","name":"b",'
        '"change":{"actions":["update"],"before":{"tags":{"a":"1"}},"after":{"tags":{"a":"2"}},'
        '"after_unknown":{}}}]}'
    ))
    review = review_of(path)
    assert review.summary.line() == "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."
    assert [(d.path, d.before, d.after) for d in review.diffs(review.changes[0])] == [("tags.a", '"1"', '"2"')]


def test_only_the_needed_sections_are_kept(current_plan: Path) -> None:
    plan = read_plan(current_plan)
    assert plan.format_version == "1.2"
    assert plan.terraform_version == "1.9.8"
    assert len(plan.resource_changes) == 14
    assert len(plan.resource_drift) == 2
    assert sorted(plan.output_changes) == ["connection", "db_endpoint", "db_password", "logs_bucket", "vpc_id"]
    assert plan.sensitive_variable_names == {"db_password", "api_token"}
    record = plan.resource_changes[0]
    # The span points at the entry in the file, so the diff can be parsed again later.
    raw = current_plan.read_bytes()
    assert raw[record.start : record.start + 1] == b"{" and raw[record.end - 1 : record.end] == b"}"
    assert plan.load_change(record)["actions"] == ["delete", "create"]


def test_generated_plan_is_read_completely(generated_plan: Callable[[int], Path]) -> None:
    plan = read_plan(generated_plan(300))
    assert len(plan.resource_changes) == 300
    actions = {record.actions for record in plan.resource_changes}
    assert {("create",), ("update",), ("delete",), ("no-op",), ("delete", "create"), ("create", "delete")} <= actions
    assert any(record.replace_paths for record in plan.resource_changes)
    assert any(record.module.count("module.") == 2 for record in plan.resource_changes)
    assert plan.resource_drift


def _snapshot(path: Path, chunk_bytes: int) -> list:
    plan = read_plan(path, chunk_bytes=chunk_bytes)
    return [
        (plan.format_version, plan.terraform_version, sorted(plan.sensitive_variable_names), plan.variables,
         plan.output_changes, plan.checks),
        *[(record, plan.load_change(record)) for record in (*plan.resource_changes, *plan.resource_drift)],
    ]


@pytest.mark.parametrize("chunk_bytes", [1, 7, 64, 4096])
def test_small_windows_read_the_same_plan(current_plan: Path, chunk_bytes: int) -> None:
    assert _snapshot(current_plan, chunk_bytes) == _snapshot(current_plan, 1 << 22)


def test_non_ascii_values_keep_byte_spans_right(tmp_path: Path) -> None:
    entries = ",\n".join(
        json.dumps({
            "address": f"aws_s3_bucket.b{n}", "mode": "managed", "type": "aws_s3_bucket", "name": f"b{n}",
            "change": {"actions": ["update"], "before": {"tags": {"Owner": f"Zoë ✓ {n}"}},
                       "after": {"tags": {"Owner": f"Jürgen — ☃ {n}"}}, "after_unknown": {}},
        }, ensure_ascii=False)
        for n in range(40)
    )
    path = _write(tmp_path, '{"format_version":"1.2",\n"resource_changes":[' + entries + "]}")
    for chunk_bytes in (5, 100, 1 << 22):
        review = build_review(read_plan(path, chunk_bytes=chunk_bytes), "dev")
        diffs = [review.diffs(record)[0] for record in review.changes]
        assert [(d.path, d.before, d.after) for d in diffs[:2]] == [
            ("tags.Owner", '"Zoë ✓ 0"', '"Jürgen — ☃ 0"'),
            ("tags.Owner", '"Zoë ✓ 1"', '"Jürgen — ☃ 1"'),
        ]
        assert len(diffs) == 40


def test_error_position_after_dropped_text(tmp_path: Path) -> None:
    entries = ",\n".join(json.dumps({"address": f"a.b{n}", "change": {"actions": ["no-op"]}}) for n in range(200))
    path = _write(tmp_path, '{"format_version":"1.2",\n"resource_changes":[' + entries + ",\n  ]\n}")
    for chunk_bytes in (16, 1 << 22):
        with pytest.raises(PlanFormatError) as raised:
            read_plan(path, chunk_bytes=chunk_bytes)
        assert str(raised.value) == f"{path} is not valid JSON: expected a value at line 202 column 3"
