"""Values that are secrets whatever the provider says (toolkit/secrets.py): URLs with a password, PEM blocks, AWS
secret access keys. None may reach plan.json, any review format, the streamed terraform output or an error
message; the identifiers a reviewer needs (commit ids, S3 version ids, lock ids, KMS key ids, subnet ids) stay.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.engine.progress import StreamProgress
from toolkit.engine.redact import redact_plan
from toolkit.secrets import is_secret_name, looks_like_secret

URL_CANARY = "CANARY-url-pass-8d2f"
PEM_CANARY = "CANARYpemBODY77"
AWS_KEY_CANARY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARY0KEY"
CANARIES = (URL_CANARY, PEM_CANARY, AWS_KEY_CANARY)
# Identifiers that look random but are not secrets: they must stay readable.
COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
S3_VERSION = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"
LOCK_ID = "d3b07384-d9a0-4c9b-8f2a-1c2b3d4e5f60"
KMS_KEY = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
IDENTIFIERS = (COMMIT, S3_VERSION, LOCK_ID, KMS_KEY, *SUBNETS)

CONTAINER_DEFINITIONS = json.dumps([{"name": "app", "environment": [
    {"name": "DATABASE_URL", "value": f"postgres://app:{URL_CANARY}@db.internal:5432/app"},
    {"name": "GIT_COMMIT", "value": COMMIT},
]}])
PEM = f"-----BEGIN RSA PRIVATE KEY-----\nMIIEow{PEM_CANARY}\n-----END RSA PRIVATE KEY-----\n"


def _change(address: str, resource_type: str, after: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": resource_type, "name": address.split(".")[-1],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            # An update, so the review shows every attribute's diff.
            "change": {"actions": ["update"], "before": {key: "old" for key in after}, "after": after,
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}


def plan_with_secret_shapes() -> dict[str, Any]:
    changes = [
        _change("aws_ecs_task_definition.app", "aws_ecs_task_definition",
                {"family": "app", "container_definitions": CONTAINER_DEFINITIONS}),
        _change("aws_ssm_parameter.tls", "aws_ssm_parameter", {"name": "/app/tls", "value": PEM,
                                                               "key_id": KMS_KEY}),
        _change("aws_lambda_function.signer", "aws_lambda_function", {
            "function_name": "signer", "environment": [{"variables": {"SIGNING": AWS_KEY_CANARY,
                                                                      "STATE_VERSION": S3_VERSION,
                                                                      "LOCK": LOCK_ID}}],
            "vpc_config": [{"subnet_ids": SUBNETS}]}),
        _change("aws_db_instance.this", "aws_db_instance", {"identifier": "db", "kms_key_id": KMS_KEY,
                                                            "tags": {"commit": COMMIT}}),
    ]
    return {"format_version": "1.2", "terraform_version": "1.15.5", "variables": {}, "resource_changes": changes,
            "planned_values": {"root_module": {"resources": [
                {"address": change["address"], "mode": "managed", "type": change["type"], "name": change["name"],
                 "values": change["change"]["after"], "sensitive_values": {}} for change in changes]}},
            "output_changes": {"database_url": {"actions": ["create"], "before": None, "after":
                                                f"postgres://app:{URL_CANARY}@db/app", "after_unknown": False,
                                                "before_sensitive": False, "after_sensitive": False}},
            "configuration": {"root_module": {}}, "applyable": True, "complete": True, "errored": False}


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_with_secret_shapes()), encoding="utf-8")
    return path


def _assert_clean(text: str, where: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary} leaked into {where}"
    for identifier in IDENTIFIERS:
        assert identifier in text, f"{identifier} (an identifier, not a secret) is missing from {where}"


def test_names_and_shapes() -> None:
    for name in ("DB_PASSWORD", "DB_PASSWD", "Db_Pass", "API_KEY", "apiKey", "SMTP_CREDENTIALS", "DATABASE_DSN",
                 "GITHUB_TOKEN", "CONNECTION_STRING", "PRIVATE_KEY", "master_password"):
        assert is_secret_name(name), name
    for name in ("kms_key_id", "private_subnet_ids", "secret_arn", "DB_SECRET_ARN", "create_secret", "LOG_LEVEL",
                 "password_length", "manage_master_user_password", "DATABASE_URL"):
        assert not is_secret_name(name), name
    for value in (f"postgres://app:{URL_CANARY}@db/app", "mysql://u:p/a?s#h@r@host:3306/x", PEM, AWS_KEY_CANARY):
        assert looks_like_secret(value), value
    for value in (*IDENTIFIERS, "https://example.com/a@b", "postgres://db.internal:5432/app"):
        assert not looks_like_secret(value), value


def test_plan_json_masks_secret_shapes_and_keeps_identifiers() -> None:
    written = json.dumps(redact_plan(plan_with_secret_shapes()))
    _assert_clean(written, "plan.json")
    assert "postgres://app:(sensitive)@db.internal:5432/app" in written


@pytest.mark.parametrize("output_format", ["md", "json", "text"])
def test_every_review_format_masks_secret_shapes(plan_file: Path, output_format: str) -> None:
    result = CliRunner().invoke(app, ["review", str(plan_file), "--format", output_format, "--no-color",
                                      "--environment", "prod"])
    assert result.exit_code == 0, result.output
    _assert_clean(result.stdout, f"review --format {output_format}")


def test_streamed_terraform_output_is_masked() -> None:
    out = io.StringIO()
    StreamProgress(out).line("prod", f'  + value = "postgres://app:{URL_CANARY}@db/app"')
    assert URL_CANARY not in out.getvalue() and "postgres://app:(sensitive)@db/app" in out.getvalue()


def test_an_error_message_never_prints_a_password(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["review", f"postgres://app:{URL_CANARY}@db/plan.json"])
    assert result.exit_code not in (0, 2), result.output
    assert URL_CANARY not in result.output
    assert "postgres://app:(sensitive)@db/plan.json" in result.output
