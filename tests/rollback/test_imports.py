"""The immediate tier at 3 a.m. imports only what it needs: no configuration schema, no pydantic (Typer 0.29
would coerce every option through it: toolkit/cli/coercion.py), no templates, no HCL parser, no engine
(bench B7 measures the time this saves)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rollback.conftest import ENVIRONMENT, REPO
from toolkit.records.checkpoints import Checkpoint

PROBE = """
import json, sys
from toolkit.cli import main
sys.argv = ["toolkit", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
NOT_ON_THE_PATH = ("pydantic", "toolkit.config.model", "toolkit.config.environment", "jinja2", "hcl2",
                   "toolkit.engine.render", "toolkit.engine", "toolkit.review", "toolkit.drift", "toolkit.db")


def test_immediate_tier_does_not_import_the_schema(tmp_path: Path, moto_endpoint: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.rollback.conftest import REGION, STATE_BUCKET, direct, reset_moto
    from toolkit.project import Project
    from toolkit.rollback.request import checkpoint_store

    root = tmp_path / "project"
    (root / "envs").mkdir(parents=True)
    for name in ("defaults.yaml", f"{ENVIRONMENT}.yaml"):
        (root / "envs" / name).write_text((REPO / "envs" / name).read_text())
    # The sandbox keeps its checkpoints beside its S3 state: found there without the schema too.
    reset_moto(moto_endpoint)
    s3 = direct("s3", moto_endpoint)
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = checkpoint_store(Project(root), ENVIRONMENT)
    store.save(Checkpoint(id="20261126T030000Z-abcd", environment=ENVIRONMENT, created_at="2026-11-26T03:00:00Z",
                          created_by="deployer@ci"))
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOOLKIT_PROJECT_DIR": str(root),
                   "AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_MAX_ATTEMPTS": "1"}
    arguments = ["rollback", ENVIRONMENT, "--tier", "immediate", "--yes"]
    completed = subprocess.run([sys.executable, "-c", PROBE, json.dumps(arguments)], env=environment,
                               capture_output=True, text=True, timeout=120, cwd=root)
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    # The checkpoint is empty: the run reads it, finds nothing to roll back, and finishes.
    assert report["code"] in (0, None), completed.stdout + completed.stderr
    assert "toolkit.rollback.runbook" in report["modules"], report["modules"]
    imported = [name for name in NOT_ON_THE_PATH if name in report["modules"]]
    assert imported == [], f"the rollback path imported {imported}"
