"""checkov: failed checks and reasonless skips fail; skip reasons are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.checkov import run_checkov_check, skip_comments
from toolkit.checks.findings import CheckResult

from .conftest import write_files

QUEUE = """\
resource "aws_sqs_queue" "this" {
  #checkov:skip=CKV_AWS_27: the queue carries only public build events
  name = "events"
}

resource "aws_sqs_queue" "other" {
  # checkov:skip=CKV_AWS_27
  #checkov:skip=CKV_AWS_3: copied from the EBS module by mistake
  name = "other"
}
"""


@pytest.mark.slow
def test_planted_problems(tmp_path: Path, project_binaries: None) -> None:
    write_files(
        tmp_path,
        {
            "modules/queue/main.tf": QUEUE,
            # In the second directory: checkov given several -d scans only the first, so each gets its own run.
            "terraform/extra.tf": 'resource "aws_ebs_volume" "this" {\n  availability_zone = "a"\n  size = 1\n}\n',
        },
    )
    result = run_checkov_check(tmp_path, [tmp_path / "modules", tmp_path / "terraform"])
    texts = [str(finding) for finding in result.errors]
    assert result.status == "failed"
    assert (
        "terraform/extra.tf:1: aws_ebs_volume.this: CKV_AWS_3: "
        "Ensure all data stored in the EBS is securely encrypted" in texts
    )
    assert (
        "modules/queue/main.tf:7: checkov:skip=CKV_AWS_27 has no reason: write `#checkov:skip=CKV_AWS_27: why`" in texts
    )
    assert [str(finding) for finding in result.findings if finding.severity == "warning"] == [
        "modules/queue/main.tf:8: warning: checkov:skip=CKV_AWS_3 skips nothing (no such check on this resource): "
        "remove it"
    ]
    assert result.counts["skipped"] == 2
    assert result.counts["no_reason"] == 1
    assert result.counts["failed"] == len([text for text in texts if ": CKV" in text])
    assert (
        "skipped CKV_AWS_27 on aws_sqs_queue.this (modules/queue/main.tf): the queue carries only public build events"
        in result.notes
    )


def test_skip_comments_are_read_with_their_reasons(tmp_path: Path) -> None:
    write_files(tmp_path, {"modules/queue/main.tf": QUEUE})
    assert [(c.path, c.line, c.check_id, c.reason) for c in skip_comments(tmp_path, [tmp_path / "modules"])] == [
        ("modules/queue/main.tf", 2, "CKV_AWS_27", "the queue carries only public build events"),
        ("modules/queue/main.tf", 7, "CKV_AWS_27", ""),
        ("modules/queue/main.tf", 8, "CKV_AWS_3", "copied from the EBS module by mistake"),
    ]


@pytest.mark.slow
def test_real_code_has_no_failed_checks_or_reasonless_skips(real_checkov_result: CheckResult) -> None:
    result = real_checkov_result
    assert result.counts["passed"] > 0
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)


@pytest.mark.slow
def test_real_code_skips_all_carry_reasons(real_checkov_result: CheckResult) -> None:
    skipped = [note for note in real_checkov_result.notes if note.startswith("skipped ")]
    assert len(skipped) == real_checkov_result.counts["skipped"]
    assert not [note for note in skipped if note.endswith(": No comment provided")]
