"""Attacks on the crash-honest apply record: an edited checkpoint file must not inject HCL (or terminal escapes)
into the import blocks an operator is told to paste, a reused pid must not pass for a running apply, and a
record from another host says so."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from toolkit.engine.pre_apply import import_block, interrupted_apply_warning
from toolkit.processes import process_started
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore

CHECKPOINT_ID = "20261126T141500Z-3f9a"


def _interrupted(tmp_path: Path, **record: object) -> str:
    store = CheckpointStore(tmp_path)
    fields = {"result": "started", "applied_by": "ana", "started_at": "2026-11-26T14:15:00Z",
              "host": socket.gethostname(), "pid": 2 ** 22 + 7} | record
    store.save(Checkpoint(id=CHECKPOINT_ID, environment="prod", created_at="2026-11-26T14:15:00Z",
                          created_by="ana", apply=ApplyRecord(**fields)))  # type: ignore[arg-type]
    warning = interrupted_apply_warning(CheckpointStore(tmp_path), "prod")
    assert warning is not None
    return warning


def test_an_import_id_with_a_template_is_printed_as_a_literal_string() -> None:
    block = import_block("aws_s3_bucket.data", 'x${file("/etc/passwd")}%{ if true }y$${z}')
    assert block == ('import {\n  to = aws_s3_bucket.data\n'
                     '  id = "x$${file(\\"/etc/passwd\\")}%%{ if true }y$$${z}"\n}'), block


def test_an_edited_address_is_skipped_not_printed_as_hcl(tmp_path: Path) -> None:
    injected = 'aws_s3_bucket.a\n  id = "x"\n}\nresource "null_resource" "pwn" {\n  provisioner "local-exec" {}\n}'
    warning = _interrupted(tmp_path, creating={injected: "bucket", 'module.db["a b"].aws_db_instance.this[0]': "db-1"})
    assert "null_resource" not in warning.replace('\\"null_resource\\"', ""), warning
    assert "provisioner" not in warning.split("# skipped")[0], warning
    assert '# skipped "aws_s3_bucket.a\\n  id = \\"x\\"\\n}\\nresource \\"null_' in warning, warning
    assert 'import {\n  to = module.db["a b"].aws_db_instance.this[0]\n  id = "db-1"\n}' in warning, warning


def test_terminal_escapes_in_the_record_are_shown_not_interpreted(tmp_path: Path) -> None:
    warning = _interrupted(tmp_path, applied_by="ana\x1b[2J\nrm -rf /", creating={})
    assert "\x1b" not in warning and "by ana\\x1b[2J\\nrm -rf / on" in warning, warning


def test_a_record_from_another_host_says_it_may_still_be_running_there(tmp_path: Path) -> None:
    warning = _interrupted(tmp_path, host="ci-runner-7", pid=os.getpid(), creating={})
    assert warning.startswith("the last apply of prod did not finish (still running on ci-runner-7, or interrupted "
                              "there)"), warning


def test_a_reused_pid_is_not_a_running_apply(tmp_path: Path) -> None:
    # A live process on this host whose start time is not the recorded one: the apply's pid, reused.
    other = subprocess.Popen(["sleep", "30"])
    try:
        assert process_started(other.pid) is not None
        fields = {"result": "started", "applied_by": "ana", "started_at": "t", "host": socket.gethostname(),
                  "pid": other.pid}
        assert ApplyRecord(**fields, pid_started=process_started(other.pid)).status == "running"
        assert ApplyRecord(**fields, pid_started="another-boot/123").status == "interrupted"
        warning = _interrupted(tmp_path, pid=other.pid, pid_started="another-boot/123", creating={})
        assert warning.startswith("the last apply of prod was interrupted"), warning
    finally:
        other.kill()
        other.wait()


def test_a_failed_apply_after_an_interrupted_one_does_not_hide_it(tmp_path: Path) -> None:
    """The apply after a kill -9 typically fails with "already exists": the warning stays until one succeeds."""
    store = CheckpointStore(tmp_path)
    base = {"applied_by": "ana", "started_at": "2026-11-26T14:15:00Z", "host": socket.gethostname()}
    records = [("20261126T141500Z-0001", ApplyRecord(result="started", pid=2 ** 22 + 7,
                                                     creating={"aws_s3_bucket.data": "edu-data"}, **base)),
               ("20261126T142000Z-0002", ApplyRecord(result="failed", summary="BucketAlreadyExists", **base))]
    for checkpoint_id, record in records:
        store.save(Checkpoint(id=checkpoint_id, environment="prod", created_at="2026-11-26T14:15:00Z",
                              created_by="ana", apply=record))
    warning = interrupted_apply_warning(CheckpointStore(tmp_path), "prod")
    assert warning is not None and "(checkpoint 20261126T141500Z-0001," in warning, warning
    assert 'import {\n  to = aws_s3_bucket.data\n  id = "edu-data"\n}' in warning
    store.save(Checkpoint(id="20261126T143000Z-0003", environment="prod", created_at="2026-11-26T14:30:00Z",
                          created_by="ana", apply=ApplyRecord(result="success", **base)))
    assert interrupted_apply_warning(CheckpointStore(tmp_path), "prod") is None


def test_an_edited_checkpoint_cannot_write_escapes_to_the_responders_terminal() -> None:
    """`toolkit checkpoints` and the rollback header print who took a checkpoint: shown, never interpreted."""
    from types import SimpleNamespace

    from toolkit.rollback.render import checkpoint_line

    checkpoint = Checkpoint(id=CHECKPOINT_ID, environment="prod", created_at="2026-11-26T14:15:00Z",
                            created_by="mallory\x1b]0;owned\x07\nfake line", git_commit="0" * 40)
    line = checkpoint_line(SimpleNamespace(checkpoint=checkpoint))  # type: ignore[arg-type]
    assert "\x1b" not in line and "\x07" not in line and "\n" not in line, line
    assert "by mallory\\x1b]0;owned\\x07\\nfake line, commit 000000000000" in line, line
