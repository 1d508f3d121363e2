"""An interrupt (SIGTERM from a CI cancel, Ctrl-C) during the wait for the ECS deployments after terraform applied
stops only the wait: the checkpoint keeps the apply's "success" and records the deployment as not checked, and
`toolkit apply` says the plan is applied and how to look at the services. Before, the interrupt reached the CLI's
generic branch, which said "its checkpoint records it as cancelled" while the record said success."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import toolkit.engine.apply as engine_apply
from toolkit.engine.progress import SilentProgress
from toolkit.engine.terraform import APPLY_RECORDED, TERRAFORM_APPLY, FinishedBeforeStop
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore

CHECKPOINT = "20261126T110000Z-0001"


def _applied(tmp_path: Path) -> tuple[CheckpointStore, ApplyRecord]:
    """A checkpoint whose apply terraform finished, recorded "success" as apply_environment writes it."""
    store = CheckpointStore(tmp_path / "checkpoints")
    store.save(Checkpoint(id=CHECKPOINT, environment="dev", created_at="2026-11-26T11:00:00Z", created_by="a@b"))
    record = ApplyRecord(result="success", applied_by="a@b", started_at="2026-11-26T11:00:01Z",
                         finished_at="2026-11-26T11:02:00Z", summary="0 added, 1 changed, 0 destroyed")
    store.update_apply(CHECKPOINT, record)
    return store, record


def _wait_interrupted(*_args: Any) -> tuple[str | None, str]:
    raise KeyboardInterrupt("SIGTERM")  # what signals_interrupt raises on SIGTERM mid-wait


def _record_deployment(store: CheckpointStore, record: ApplyRecord) -> str:
    return engine_apply._record_deployment("dev", None, None, {}, None, SilentProgress(), store, CHECKPOINT,
                                           record, [])


def test_an_interrupted_deployment_wait_keeps_the_apply_recorded_as_applied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, record = _applied(tmp_path)
    monkeypatch.setattr(engine_apply, "_check_deployments", _wait_interrupted)
    with pytest.raises(FinishedBeforeStop) as stopped:
        _record_deployment(store, record)
    assert stopped.value.finished == APPLY_RECORDED
    assert stopped.value.args[0] == "SIGTERM, during the deployment wait"
    written = store.load(CHECKPOINT).apply
    assert written is not None and written.result == "success"
    assert written.deployment == "not checked (interrupted)"


def test_the_cli_says_applied_then_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`toolkit apply` through an apply that stops in the deployment wait: exit 130, and words that match the
    checkpoint (applied, the wait stopped, where to look), not "cancelled"."""
    import toolkit.cli.plan as cli_plan
    import toolkit.engine as engine
    from toolkit.cli import app

    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "defaults.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    store, record = _applied(tmp_path)
    monkeypatch.setattr(engine_apply, "_check_deployments", _wait_interrupted)
    monkeypatch.setattr(cli_plan, "warn_about_interrupted_apply", lambda *_args, **_options: None)
    monkeypatch.setattr(engine, "apply_environment", lambda *_args, **_options: _record_deployment(store, record))
    result = CliRunner().invoke(app, ["apply", "dev", "--quiet"])
    assert result.exit_code == 130, result.output
    assert result.stderr == (
        "Error: dev: applied, then interrupted (SIGTERM, during the deployment wait): the plan is applied and its "
        "checkpoint records it as applied; the wait for the deployments was stopped, so they are not checked (the "
        "checkpoint says so). Look at the ECS services and parameter groups it changed in the console; `toolkit "
        "checkpoints dev` shows the run\n")
    assert "cancelled" not in result.output
    written = store.load(CHECKPOINT).apply
    assert written is not None and (written.result, written.deployment) == ("success", "not checked (interrupted)")


def test_the_cli_says_applied_when_terraform_finished_as_the_stop_came(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.cli.plan as cli_plan
    import toolkit.engine as engine
    from toolkit.cli import app

    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "defaults.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))

    def finished(*_args: Any, **_options: Any) -> None:
        raise FinishedBeforeStop("SIGTERM, after terraform apply had finished", TERRAFORM_APPLY)

    monkeypatch.setattr(cli_plan, "warn_about_interrupted_apply", lambda *_args, **_options: None)
    monkeypatch.setattr(engine, "apply_environment", finished)
    result = CliRunner().invoke(app, ["apply", "dev", "--quiet"])
    assert result.exit_code == 130, result.output
    assert result.stderr.startswith("Error: dev: interrupted (SIGTERM, after terraform apply had finished): the apply "
                                    "had finished, and its checkpoint records it as applied; nothing more ran")
