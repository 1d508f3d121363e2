"""Attacks on the one secret rule (toolkit/secrets.py): secrets spelled the ways people really write them must be
masked in every output, and the identifiers a reviewer needs must stay readable."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.test_secret_shapes import _change, plan_with_secret_shapes
from toolkit.cli import app
from toolkit.engine.progress import StreamProgress
from toolkit.engine.redact import redact_plan
from toolkit.secrets import is_secret_name, looks_like_secret, mask_text

CANARY = "CANARYpw7e1"
# (what was written, what must be shown): every one of these leaked the canary before.
LEAKS = [
    (f"host=db user=app password={CANARY} dbname=app", "host=db user=app password=(sensitive) dbname=app"),
    (f"postgresql://app@db/app?sslmode=require&password={CANARY}",
     "postgresql://app@db/app?sslmode=require&password=(sensitive)"),
    (f"postgres://app:{CANARY} horse@db/app", "postgres://app:(sensitive)@db/app"),
    (f"next=postgres%3A%2F%2Fapp%3A{CANARY}%40db%2Fapp", "next=postgres%3A%2F%2Fapp%3A(sensitive)%40db%2Fapp"),
    (f"export PGPASSWORD='{CANARY} x'", "export PGPASSWORD='(sensitive)'"),
    (f'{{"name": "DB_PASSWORD", "value": "{CANARY} x"}}', '{"name": "DB_PASSWORD", "value": "(sensitive)"}'),
    (json.dumps(json.dumps({"API_TOKEN": CANARY})), json.dumps(json.dumps({"API_TOKEN": "(sensitive)"}))),
    (f"db_password: {CANARY}", "db_password: (sensitive)"),
    (f"x-api-key: {CANARY}", "x-api-key: (sensitive)"),
    (f"Authorization: Bearer {CANARY}abcdef", "Authorization: Bearer (sensitive)"),
    (f"GITHUB_TOKEN is ghp_{CANARY}0123456789012345678901234", "GITHUB_TOKEN is (sensitive)"),
    (f"xoxb-1234567890-{CANARY}", "(sensitive)"),
    (f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.{CANARY}abc", "(sensitive)"),
]
# Identifiers and ordinary text that must stay as they are.
KEPT = [
    "image = 123456789012.dkr.ecr.sa-east-1.amazonaws.com/app@sha256:" + "0a1b2c3d" * 8,
    "password_length=32 kms_key_id=arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "Error: secret: not found",
    "  ~ master_password = (sensitive value)",
    "envs/prod.yaml:4: app_settings.DB_PASSWORD = (value hidden): the name says it holds a secret",
    "Lock Info: ID: d3b07384-d9a0-4c9b-8f2a-1c2b3d4e5f60",
    "secret_arn=arn:aws:secretsmanager:sa-east-1:123456789012:secret:prod/db-AbCdEf",
    "user_data = IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=",
    "version_id=3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
    "invalid DSN mysql://app:***@db/app: expected postgresql://user@host:port/dbname",
    "https://example.com:443 is down, mail ops@example.com",
    '{"secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:sa-east-1:1:secret:db-AbCd"}]}',
    '{"Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Condition": {"Bool": {"aws:SecureTransport": '
    '"true"}}}',
    "arn:aws:secretsmanager:sa-east-1:123456789012:secret:prod/db-password-AbCdEf",
]


@pytest.mark.parametrize(("written", "shown"), LEAKS)
def test_secret_spellings_are_masked(written: str, shown: str) -> None:
    assert looks_like_secret(written), written
    assert mask_text(written) == shown


@pytest.mark.parametrize("text", KEPT)
def test_identifiers_and_prose_are_kept(text: str) -> None:
    assert not looks_like_secret(text), text
    assert mask_text(text) == text


def test_more_secret_names() -> None:
    for name in ("mysql_root_pw", "BEARER", "oauth_client_secret"):
        assert is_secret_name(name), name
    for name in ("password_version", "token_path", "jwt_issuer"):
        assert not is_secret_name(name), name


def test_secrets_inside_container_definitions_never_reach_plan_json_or_the_review(tmp_path: Path) -> None:
    plan = plan_with_secret_shapes()
    definitions = json.dumps([{"name": "app", "environment": [
        {"name": "DB_PASSWORD", "value": CANARY}, {"name": "PGOPTS", "value": f"password={CANARY}"}]}])
    plan["resource_changes"].append(_change("aws_ecs_task_definition.worker", "aws_ecs_task_definition",
                                            {"family": "worker", "container_definitions": definitions}))
    redacted = redact_plan(plan)
    assert CANARY not in json.dumps(redacted)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    for output_format in ("md", "json", "text"):
        result = CliRunner().invoke(app, ["review", str(path), "--format", output_format, "--no-color"])
        assert result.exit_code == 0, result.output
        assert CANARY not in result.output, output_format


def test_a_secret_in_a_usage_error_is_masked() -> None:
    result = CliRunner().invoke(app, ["review", "plan.json", "--format", f"postgres://app:{CANARY}@db/x"])
    assert result.exit_code == 1, result.output
    assert CANARY not in result.output, result.output
    assert "'postgres://app:(sensitive)@db/x' is not one of 'text', 'json', 'md'" in result.output


def test_streamed_terraform_output_masks_a_dsn_password() -> None:
    out = io.StringIO()
    StreamProgress(out).line("prod", f'  + value = "host=db password={CANARY}"')
    assert out.getvalue() == '[prod]   + value = "host=db password=(sensitive)"\n'


def test_a_pem_block_streamed_line_by_line_is_masked_to_its_end() -> None:
    out = io.StringIO()
    progress = StreamProgress(out)
    lines = ["      + user_data = <<-EOT", "            -----BEGIN RSA PRIVATE KEY-----",
             f"            MIIEowIBAAKCAQEA{CANARY}", f"            {CANARY}QIDAQABAoIBAQ",
             "            -----END RSA PRIVATE KEY-----",
             "            echo done", "        EOT"]
    for line in lines:
        progress.line("prod", line)
    assert CANARY not in out.getvalue(), out.getvalue()
    assert out.getvalue().splitlines() == [
        "[prod]       + user_data = <<-EOT", "[prod]             (sensitive)", "[prod] (sensitive)",
        "[prod] (sensitive)", "[prod] (sensitive)", "[prod]             echo done", "[prod]         EOT"]


@pytest.mark.parametrize("output_format", ["md", "json", "text"])
def test_a_secret_pasted_as_the_environment_name_is_refused_not_printed(tmp_path: Path, output_format: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_with_secret_shapes()), encoding="utf-8")
    result = CliRunner().invoke(app, ["review", str(path), "--environment", f"postgres://app:{CANARY}@db/x",
                                      "--format", output_format])
    assert result.exit_code == 1, result.output
    assert CANARY not in result.output, result.output
    assert result.output.strip() == (
        "Error: --environment 'postgres://app:(sensitive)@db/x' is not an environment name (lowercase letters, "
        "digits and '-', starting with a letter, as the envs/*.yaml files are named)")


def test_the_environment_name_rule_is_the_configurations() -> None:
    from toolkit.config.sources import ENVIRONMENT_NAME
    from toolkit.plans.locate import _ENVIRONMENT_NAME

    assert _ENVIRONMENT_NAME.pattern == ENVIRONMENT_NAME.pattern
