"""The root at the longest names the configuration allows (issue 26 item 3): a 32-character project and a
31-character environment that ends in '-' plan offline, and every name AWS limits fits its rule.

The modules cut nothing themselves (they refuse a name over their limit): the root's `local.names` cuts each to its
module's limit, folds runs of '-' and trims a trailing one, which RDS, ElastiCache and S3 refuse.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import REPO, toolkit
from tests.support.refactor_base import inside_project

pytestmark = pytest.mark.slow

PROJECT = "p" + "a" * 30 + "z"  # model.py: ^[a-z][a-z0-9-]{1,30}[a-z0-9]$
ENVIRONMENT = "e" + "b" * 29 + "-"  # sources.py ENVIRONMENT_NAME: ^[a-z][a-z0-9-]{0,30}$
# (type, attribute) => the longest value AWS accepts; every one of these must also not end in '-' nor hold '--'.
LIMITS = {
    ("aws_s3_bucket", "bucket"): 63,
    ("aws_lb", "name"): 32,
    ("aws_lb_target_group", "name"): 32,
    ("aws_db_instance", "identifier"): 63,
    ("aws_db_parameter_group", "name"): 255,
    ("aws_db_subnet_group", "name"): 255,
    ("aws_elasticache_replication_group", "replication_group_id"): 40,
    ("aws_elasticache_parameter_group", "name"): 255,
    ("aws_elasticache_subnet_group", "name"): 255,
    ("aws_lambda_function", "function_name"): 64,
    ("aws_cloudtrail", "name"): 128,
    # AWS Backup (prod's compliance backups): CreateBackupVault ^[a-zA-Z0-9\-\_]{2,50}$, plan and selection
    # names 1-50 characters; the database module names all three from its 52-character name.
    ("aws_backup_vault", "name"): 50,
    ("aws_backup_plan", "name"): 50,
    ("aws_backup_selection", "name"): 50,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("longest") / "project"
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    defaults = root / "envs" / "defaults.yaml"
    defaults.write_text(re.sub(r"(?m)^project: .*$", f"project: {PROJECT}", defaults.read_text()))
    # prod's file: every feature on (cache, audit trail, CDN and WAF), so every named resource is in the plan.
    shutil.copy(root / "envs" / "prod.yaml", root / "envs" / f"{ENVIRONMENT}.yaml")
    (root / ".cache").symlink_to(REPO / ".cache")
    with inside_project(root):
        yield root


def _named(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for change in plan["resource_changes"]:
        after = change["change"].get("after") or {}
        for (kind, attribute), _ in LIMITS.items():
            if change["type"] == kind and isinstance(after.get(attribute), str):
                found.append((change["address"], f"{kind}.{attribute}", after[attribute]))
    return found


def test_the_longest_names_plan_and_every_limited_name_fits(project: Path) -> None:
    result = toolkit("plan", ENVIRONMENT, "--offline", "--json")
    assert result.exit_code == 2, result.output
    plan = json.loads(Path(json.loads(result.stdout)["plan_json"]).read_text(encoding="utf-8"))
    named = _named(plan)
    kinds = {kind for _, kind, _ in named}
    assert {"aws_s3_bucket.bucket", "aws_lb.name", "aws_db_instance.identifier",
            "aws_elasticache_replication_group.replication_group_id", "aws_cloudtrail.name",
            "aws_backup_vault.name", "aws_backup_plan.name", "aws_backup_selection.name"} <= kinds, kinds
    too_long = [(address, kind, value) for address, kind, value in named
                if len(value) > LIMITS[tuple(kind.split("."))]]  # type: ignore[index]
    assert too_long == []
    bad_hyphens = [(address, value) for address, _, value in named if value.endswith("-") or "--" in value]
    assert bad_hyphens == []
