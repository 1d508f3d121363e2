"""Bad input, table-driven: environment files (through `envs show` and `plan`), command-line arguments,
plan files, migration folders, missing credentials, unreachable endpoints and a missing terraform.

Every case asserts a non-zero exit, one `Error: …` naming the file or argument and what is allowed, no
traceback, and that nothing changed (the project copy byte for byte, or no migration row). The render
cases of tests/foundation/test_bad_input.py are not repeated here.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.reliability.conftest import assert_clean_failure, run_cli, snapshot
from tests.support.postgres import SUPERUSER_PASSWORD, PostgresDatabase
from toolkit.cli.db import DSN_ON_COMMAND_LINE_WARNING

# ---------------------------------------------------------------------------------------------
# Environment files: (case, command, file edited, edit, expected stderr)
# An edit starting with "=" replaces the file; otherwise it is appended.
# ---------------------------------------------------------------------------------------------

ONE = "Error: envs/dev.yaml: 1 problem\n  "
YAML_CASES: list[tuple[str, str, str, str, str]] = [
    ("tab-indentation", "show", "dev", "=tags:\n\tenvironment: dev\n",
     "Error: envs/dev.yaml:2: YAML syntax error: found character '\\t' that cannot start any token"),
    ("unclosed-quote", "show", "dev", "=tags:\n  environment: 'dev\n",
     "Error: envs/dev.yaml:3: YAML syntax error: found unexpected end of stream"),
    ("defaults-syntax", "show", "defaults", "compute: [\n",
     "Error: envs/defaults.yaml:{defaults+2}: YAML syntax error: expected the node content, but found '<stream end>'"),
    ("scalar-document", "plan", "dev", "=just a string\n",
     "Error: envs/dev.yaml:1: the top level must be a mapping of keys, not str"),
    ("unknown-compute-key", "show", "dev", "compute:\n  cpus: 512\n",
     ONE + "envs/dev.yaml:{dev+2}: compute.cpus = 512: unknown key (did you mean 'cpu'?); allowed: "
     "autoscaling, container_image, "
     "container_port, cpu, deployment_strategy, ecr_repository, health_check_path, image_tag, ingress_cidr_blocks, "
     "max_tasks, memory_mib, min_tasks"),
    ("unknown-backend-key", "plan", "dev", "backend:\n  bucket_name: state\n",
     ONE + "envs/dev.yaml:{dev+2}: backend.bucket_name = 'state': unknown key (did you mean 'bucket'?); allowed: "
     "bucket, dynamodb_table, encrypt, endpoint_from_env, key_prefix, kms_key_id, lock, region, type"),
    ("unknown-migrations-key", "show", "dev", "migrations:\n  folder: db/other\n",
     ONE + "envs/dev.yaml:{dev+2}: migrations.folder = 'db/other': unknown key; allowed: database_name, directory, "
     "dsn_env, history_table, host, lambda_function, lock_timeout_seconds, port, schema_name, secret_id, "
     "statement_lock_timeout_ms, statement_timeout_ms"),
    ("zones-as-word", "show", "dev", "network:\n  availability_zones: two\n",
     ONE + "envs/dev.yaml:{dev+2}: network.availability_zones = 'two': Input should be a valid integer"),
    ("tags-as-list", "plan", "dev", "=tags: [dev]\n",
     ONE + "envs/dev.yaml:1: tags: Input should be a valid dictionary"),
    ("buckets-as-list", "show", "dev", "storage:\n  buckets: [uploads]\n",
     ONE + "envs/dev.yaml:{dev+2}: storage.buckets: Input should be a valid dictionary"),
    ("null-section", "show", "dev", "compute: null\n",
     ONE + "envs/dev.yaml:{dev+1}: compute = None: Input should be a valid dictionary or instance of ComputeSettings"),
    ("four-zones", "show", "dev", "network:\n  availability_zones: 4\n",
     ONE + "envs/dev.yaml:{dev+2}: network.availability_zones = 4: Input should be less than or equal to 3"),
    ("backups-over-35-days", "plan", "dev", "database:\n  backup_retention_days: 36\n",
     ONE + "envs/dev.yaml:{dev+2}: database.backup_retention_days = 36: Input should be less than or equal to 35"),
    ("sixteen-replicas", "show", "dev", "database:\n  read_replicas: 16\n",
     ONE + "envs/dev.yaml:{dev+2}: database.read_replicas = 16: Input should be less than or equal to 15"),
    ("storage-under-20-gb", "show", "dev", "database:\n  allocated_storage_gb: 10\n",
     ONE + "envs/dev.yaml:{dev+2}: database.allocated_storage_gb = 10: Input should be greater than or equal to 20"),
    ("postgres-12", "show", "dev", "database:\n  engine_version: '12'\n",
     ONE + "envs/dev.yaml:{dev+2}: database.engine_version = '12': String should match pattern '^1[3-7](\\.\\d+)?$'"),
    ("engine-mode", "show", "dev", "database:\n  engine_mode: mysql\n",
     ONE + "envs/dev.yaml:{dev+2}: database.engine_mode = 'mysql': Input should be 'rds' or 'aurora-serverless'"),
    ("monitoring-interval", "show", "dev", "database:\n  enhanced_monitoring_interval_seconds: 7\n",
     ONE + "envs/dev.yaml:{dev+2}: database.enhanced_monitoring_interval_seconds = 7: must be one of "
     "[0, 1, 5, 10, 15, 30, 60]"),
    ("instance-class", "plan", "dev", "database:\n  instance_class: t3.micro\n",
     ONE + "envs/dev.yaml:{dev+2}: database.instance_class = 't3.micro': String should match pattern "
     "'^db\\.[a-z0-9]+\\.[a-z0-9]+$'"),
    ("serverless-acu-over-256", "show", "dev",
     "database:\n  engine_mode: aurora-serverless\n  serverless_min_acu: 257\n",
     ONE + "envs/dev.yaml:{dev+3}: database.serverless_min_acu = 257: Input should be less than or equal to 256"),
    ("replicas-without-backups", "show", "dev", "database:\n  read_replicas: 1\n  backup_retention_days: 0\n",
     ONE + "envs/dev.yaml:{dev+3}: database.backup_retention_days = 0: must be at least 1 when read_replicas > 0 "
     "(AWS needs backups for replicas)"),
    ("redis-6", "show", "dev", "cache:\n  engine_version: '6.2'\n",
     ONE + "envs/dev.yaml:{dev+2}: cache.engine_version = '6.2': String should match pattern '^7\\.[01]$'"),
    ("cache-node-type", "show", "dev", "cache:\n  node_type: t3.micro\n",
     ONE + "envs/dev.yaml:{dev+2}: cache.node_type = 't3.micro': String should match pattern "
     "'^cache\\.[a-z0-9]+\\.[a-z0-9]+$'"),
    ("port-over-65535", "show", "dev", "compute:\n  container_port: 70000\n",
     ONE + "envs/dev.yaml:{dev+2}: compute.container_port = 70000: Input should be less than or equal to 65535"),
    ("max-tasks-zero", "show", "dev", "compute:\n  max_tasks: 0\n  min_tasks: 0\n",
     ONE + "envs/dev.yaml:{dev+2}: compute.max_tasks = 0: Input should be greater than or equal to 1"),
    ("fargate-16-vcpu-with-1-gb", "plan", "dev", "compute:\n  cpu: 16384\n",
     ONE + "envs/defaults.yaml:{defaults:memory_mib}: compute.memory_mib = 1024: Fargate CPU 16384 accepts "
     "memory_mib 32768 to 122880 in steps of 8192"),
    ("vpc-id", "show", "dev", "network:\n  existing_vpc_id: vpc-xyz\n",
     ONE + "envs/dev.yaml:{dev+2}: network.existing_vpc_id = 'vpc-xyz': String should match pattern "
     "'^vpc-[0-9a-f]{8,17}$'"),
    ("cidr-with-host-bits", "show", "dev", "network:\n  vpc_cidr: 10.0.0.1/16\n",
     ONE + "envs/dev.yaml:{dev+2}: network.vpc_cidr = '10.0.0.1/16': must be an IPv4 network in CIDR form, such as "
     "10.0.0.0/16"),
    ("project-name", "show", "dev", "project: Edu_Platform\n",
     ONE + "envs/dev.yaml:{dev+1}: project = 'Edu_Platform': String should match pattern "
     "'^[a-z][a-z0-9-]{1,30}[a-z0-9]$'"),
    ("region", "plan", "dev", "aws_region: sa-east\n",
     ONE + "envs/dev.yaml:{dev+1}: aws_region = 'sa-east': String should match pattern '^[a-z]{2}(-gov)?-[a-z]+-\\d$'"),
    ("alarm-email", "show", "dev", "monitoring:\n  alarm_emails: [ops-at-example]\n",
     ONE + "envs/dev.yaml:{dev+2}: monitoring.alarm_emails.0 = 'ops-at-example': String should match pattern "
     "'^[^@\\s]+@[^@\\s]+$'"),
    ("availability-over-100", "show", "dev", "monitoring:\n  availability_min_percent: 101\n",
     ONE + "envs/dev.yaml:{dev+2}: monitoring.availability_min_percent = 101: Input should be less than or equal "
     "to 100"),
    ("schema-uppercase", "show", "dev", "migrations:\n  schema_name: Public\n",
     ONE + "envs/dev.yaml:{dev+2}: migrations.schema_name = 'Public': String should match pattern "
     "'^[a-z_][a-z0-9_]{0,62}$'"),
    ("migrations-port-zero", "show", "dev", "migrations:\n  port: 0\n",
     ONE + "envs/dev.yaml:{dev+2}: migrations.port = 0: Input should be greater than or equal to 1"),
    ("backend-gcs", "plan", "dev", "backend:\n  type: gcs\n",
     ONE + "envs/dev.yaml:{dev+2}: backend.type = 'gcs': Input should be 'local' or 's3'"),
    ("s3-backend-without-bucket", "show", "dev", "backend:\n  type: s3\n",
     ONE + "envs/dev.yaml:{dev+1}: backend.bucket: required when backend.type is s3"),
    ("lock-kind-typo", "show", "dev", "backend:\n  type: s3\n  bucket: edu-state\n  lock: dynamo\n",
     ONE + "envs/dev.yaml:{dev+4}: backend.lock = 'dynamo': Input should be 's3', 'dynamodb' or 'both'"),
    ("lock-both-without-table", "show", "dev", "backend:\n  type: s3\n  bucket: edu-state\n  lock: both\n",
     ONE + "envs/dev.yaml:{dev+1}: backend.dynamodb_table: required when backend.lock is both (the DynamoDB lock "
     "table)"),
    ("lock-files-with-a-table", "show", "dev",
     "backend:\n  type: s3\n  bucket: edu-state\n  lock: s3\n  dynamodb_table: edu-locks\n",
     ONE + "envs/dev.yaml:{dev+5}: backend.dynamodb_table = 'edu-locks': not used when backend.lock is s3 (lock "
     "files): remove it, or set backend.lock: both while a team moves from the table to lock files"),
    ("lock-on-a-local-backend", "show", "dev", "backend:\n  lock: s3\n",
     ONE + "envs/dev.yaml:{dev+2}: backend.lock = 's3': only for backend.type s3 (a local state is locked by "
     "terraform's own file lock)"),
    ("transitions-out-of-order", "show", "dev",
     "storage:\n  buckets:\n    uploads:\n      lifecycle:\n        - {id: r, transitions: "
     "[{days: 90, storage_class: GLACIER}, {days: 60, storage_class: DEEP_ARCHIVE}]}\n",
     ONE + "envs/dev.yaml:{dev+5}: storage.buckets.uploads.lifecycle.0.transitions.1.days = 60: transitions must be in "
     "increasing order of days"),
    ("storage-class", "show", "dev",
     "storage:\n  buckets:\n    uploads:\n      lifecycle:\n        - {id: r, transitions: "
     "[{days: 30, storage_class: COLD}]}\n",
     ONE + "envs/dev.yaml:{dev+5}: storage.buckets.uploads.lifecycle.0.transitions.0.storage_class = 'COLD': Input "
     "should be 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER' or 'DEEP_ARCHIVE'"),
    ("expire-on-transition-day", "show", "dev",
     "storage:\n  buckets:\n    exports:\n      lifecycle:\n        - {id: r, transitions: "
     "[{days: 30, storage_class: GLACIER}], expiration_days: 30}\n",
     ONE + "envs/dev.yaml:{dev+5}: storage.buckets.exports.lifecycle.0.expiration_days = 30: must be after the last "
     "transition (day 30)"),
    ("lifecycle-id-with-space", "show", "dev",
     "storage:\n  buckets:\n    uploads:\n      lifecycle:\n        - {id: 'tier down', expiration_days: 30}\n",
     ONE + "envs/dev.yaml:{dev+5}: storage.buckets.uploads.lifecycle.0.id = 'tier down': String should match pattern "
     "'^[A-Za-z0-9._-]{1,255}$'"),
    ("bucket-name-over-42-characters", "show", "dev", "storage:\n  buckets:\n    " + "a" * 43 + ": {}\n",
     ONE + "envs/dev.yaml:{dev+3}: storage.buckets." + "a" * 43 + ": invalid name: String should match pattern "
     "'^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$'"),
    ("app-setting-lowercase", "show", "dev", "app_settings:\n  debug: 'true'\n",
     ONE + "envs/dev.yaml:{dev+2}: app_settings.debug = 'true': invalid name: String should match pattern "
     "'^[A-Z][A-Z0-9_]*$'"),
    ("waf-rate-over-aws-limit", "show", "dev", "waf:\n  rate_limit: 3000000000\n",
     ONE + "envs/dev.yaml:{dev+2}: waf.rate_limit = 3000000000: Input should be less than or equal to 2000000000"),
    ("protected-staging-without-deletion-protection", "plan", "staging",
     "=protected: true\ndatabase:\n  multi_az: true\n  backup_retention_days: 7\n",
     "Error: envs/staging.yaml: 1 problem\n  envs/defaults.yaml:{defaults:deletion_protection}: "
     "database.deletion_protection = False: must be true in a protected environment"),
    ("two-problems-at-once", "plan", "dev", "compute:\n  cpu: 300\ndatabase:\n  read_replicas: 20\n",
     "Error: envs/dev.yaml: 2 problems\n"
     "  envs/dev.yaml:{dev+4}: database.read_replicas = 20: Input should be less than or equal to 15\n"
     "  envs/dev.yaml:{dev+2}: compute.cpu = 300: must be one of the Fargate CPU sizes "
     "[256, 512, 1024, 2048, 4096, 8192, 16384]"),
]


LINE_REFERENCE = re.compile(r"\{(?P<file>\w+)(?:\+(?P<offset>\d+)|:(?P<key>\w+))\}")


def resolve_lines(expected: str, root: Path) -> str:
    """`{dev+2}`: the 2nd line appended to envs/dev.yaml; `{defaults:memory_mib}`: the line of that key.

    Relative lines keep the cases valid when the repository's environment files change.
    """
    def line(match: re.Match[str]) -> str:
        lines = (root / "envs" / f"{match['file']}.yaml").read_text(encoding="utf-8").splitlines()
        if match["offset"]:
            return str(len(lines) + int(match["offset"]))
        return str(next(number for number, text in enumerate(lines, 1) if text.strip().startswith(f"{match['key']}:")))

    return LINE_REFERENCE.sub(line, expected)


def edit_environment(root: Path, target: str, edit: str) -> None:
    path = root / "envs" / f"{target}.yaml"
    if edit.startswith("="):
        path.write_text(edit[1:], encoding="utf-8")
    else:
        path.write_text(path.read_text(encoding="utf-8") + edit, encoding="utf-8")


@pytest.mark.parametrize(("case", "command", "target", "edit", "expected"), YAML_CASES,
                         ids=[case[0] for case in YAML_CASES])
def test_bad_environment_file(project: Path, case: str, command: str, target: str, edit: str,
                              expected: str) -> None:
    expected = resolve_lines(expected, project)
    edit_environment(project, target, edit)
    environment = "dev" if target == "defaults" else target
    arguments = ["envs", "show", environment] if command == "show" else ["plan", environment]
    before = snapshot(project)
    result = run_cli(*arguments)
    assert_clean_failure(result, code=1)
    assert result.stderr.rstrip("\n") == expected
    assert result.stdout == "", "nothing is printed before the error"
    assert snapshot(project) == before, f"{case}: a refused command must write nothing"


# ---------------------------------------------------------------------------------------------
# Command-line arguments: (arguments, exit code, expected last line of stderr)
# ---------------------------------------------------------------------------------------------

KNOWN = "choose one of dev, local, prod, sandbox, staging (files in envs/)"
ARGUMENT_CASES: list[tuple[list[str], int, str]] = [
    (["envs", "show", "qa"], 1, f"Error: unknown environment 'qa': {KNOWN}"),
    (["plan", "prd"], 1, f"Error: unknown environment 'prd' (did you mean 'prod'?): {KNOWN}"),
    (["plan"], 1, "Error: give an environment name or --all (not both)"),
    (["plan", "dev", "--all"], 1, "Error: give an environment name or --all (not both)"),
    (["plan", "--all", "--destroy"], 1,
     "Error: --destroy plans one environment at a time: give its name instead of --all"),
    (["plan", "dev", "--lock-timeout", "soon"], 1,
     "Error: --lock-timeout 'soon': use a duration such as 0s, 30s, 5m or 1h"),
    (["apply", "stagin"], 1, f"Error: unknown environment 'stagin' (did you mean 'staging'?): {KNOWN}"),
    (["apply", "dev", "--lock-timeout", "5x"], 1,
     "Error: --lock-timeout '5x': use a duration such as 0s, 30s, 5m or 1h"),
    (["apply", "dev", "--approve"], 1, "Error: Option '--approve' requires an argument."),
    (["apply", "staging", "--auto"], 1,
     "Error: --auto is not allowed for staging: it applies only a reviewed saved plan. Run `toolkit plan staging`, "
     "`toolkit review staging`, then `toolkit apply staging`"),
    (["apply", "prod", "--auto", "--approve", "prod"], 1,
     "Error: --auto is not allowed for prod: it applies only a reviewed saved plan. Run `toolkit plan prod`, "
     "`toolkit review prod`, then `toolkit apply prod`"),
    (["rollback", "dev", "--tier", "immediate", "--step", "autoscaling"], 1,
     "Error: --tier and --step cannot be used together: choose one"),
    (["rollback", "dev", "--yes"], 1, "Error: --yes needs --tier immediate|short|long or --step NAME: `toolkit "
     "rollback ENV` without them (and without --yes) says what the last apply changed and which to run"),
    (["rollback", "dev", "--tier", "soon"], 1, "Error: unknown tier 'soon': choose one of immediate, short, long"),
    (["rollback", "dev", "--step", "bogus"], 1,
     "Error: unknown step 'bogus': choose one of ecs-task-definition, autoscaling, terraform-state, "
     "db-parameter-group, cache-disable, db-restore, db-cutover, full"),
    (["rollback", "dev", "--journal", "--yes"], 1,
     "Error: --journal only shows the journal: leave out --tier, --step and --yes"),
    (["rollback", "dev", "--step", "ecs-task-definition", "--resume"], 1,
     "Error: --resume goes with --step autoscaling (it turns scaling back on)"),
    (["rollback", "dev", "--step", "ecs-task-definition", "--revision", "latest"], 1,
     "Error: --revision 'latest': give a revision number or 'previous'"),
    (["rollback", "dev", "--format", "pdf", "--tier", "immediate"], 1,
     "Error: Invalid value for '--format' / '-f': Value error, 'pdf' is not one of 'text', 'md', 'json'."),
    (["rollback", "qa", "--tier", "immediate"], 1, f"Error: unknown environment 'qa': {KNOWN}"),
    (["rollback", "dev", "--tier", "immediate"], 1,
     "Error: no checkpoint for dev yet: `toolkit apply dev` records one before each apply"),
    (["rollback", "dev", "--tier", "immediate", "--to", "20260101T000000Z-dead"], 1,
     "Error: unknown checkpoint '20260101T000000Z-dead'; there are none yet"),
    (["review", "qa"], 1,
     "Error: unknown environment 'qa': no envs/qa.yaml (environments: dev, local, prod, sandbox, staging; or pass "
     "a plan JSON file)"),
    (["review", "dev", "--format", "xml"], 1,
     "Error: Invalid value for '--format' / '-f': Value error, 'xml' is not one of 'text', 'json', 'md'."),
    (["review", "dev"], 1,
     "Error: no saved plan for environment 'dev' (.toolkit/envs/dev/plans/latest/plan.json is missing): run "
     "`toolkit plan dev` first"),
    (["drift", "qa"], 1,
     "Error: unknown environment 'qa': no envs/qa.yaml (environments: dev, local, prod, sandbox, staging)"),
    (["drift", "dev", "--all"], 1, "Error: give environment names or --all, not both"),
    (["drift"], 1, "Error: name an environment (toolkit drift ENV) or pass --all"),
    (["unlock", "qa"], 1, f"Error: unknown environment 'qa': {KNOWN}"),
    (["db", "status", "qa"], 1, f"Error: unknown environment 'qa': {KNOWN}"),
    (["db", "status", "dev"], 1,
     "Error: no database to connect to: pass --dsn, set TOOLKIT_DATABASE_URL, or pass --secret-id (or set "
     "migrations.secret_id)"),
    (["db", "migrate", "dev", "--via", "lambda"], 1,
     "Error: no runner function: pass --function or set migrations.lambda_function"),
    (["db", "rollback", "dev"], 1, "Error: Missing option '--to'."),
    (["db", "migrate", "dev", "--dsn", "mysql://app:hunter2-canary@db/app"], 1,
     "Error: invalid DSN mysql://app:***@db/app: expected postgresql://user@host:port/dbname "
     "(the password after the user name, user:password, or in PGPASSWORD)"),
]


@pytest.mark.parametrize(("arguments", "code", "expected"), ARGUMENT_CASES,
                         ids=["-".join(case[0]) for case in ARGUMENT_CASES])
def test_bad_arguments(project: Path, arguments: list[str], code: int, expected: str) -> None:
    before = snapshot(project)
    result = run_cli(*arguments)
    assert_clean_failure(result, code=code)
    assert result.stderr.rstrip("\n").splitlines()[-1] == expected
    assert "hunter2-canary" not in result.output
    assert snapshot(project) == before, "refused arguments must write nothing"


# ---------------------------------------------------------------------------------------------
# Plan files given to `toolkit review`
# ---------------------------------------------------------------------------------------------

PLAN_FILE_CASES: list[tuple[str, str, str]] = [
    ("truncated", '{"format_version":"1.0","resource_changes":[{"address":"a',
     "is not valid JSON: Unterminated string starting at line 1 column 56"),
    ("plain-text", "Terraform will perform the following actions:\n",
     "is not a plan JSON: it does not start with '{' (expected the output of `terraform show -json PLANFILE`)"),
    ("empty", "", "is empty, not a plan JSON"),
    ("unknown-format-version", '{"format_version":"9.0","resource_changes":[]}',
     ": format_version 9.0 is not supported: this toolkit reads plan JSON format 0.x/1.x"),
    ("json-array", "[1, 2]",
     "is not a plan JSON: it does not start with '{' (expected the output of `terraform show -json PLANFILE`)"),
]


@pytest.mark.parametrize(("case", "text", "expected"), PLAN_FILE_CASES, ids=[case[0] for case in PLAN_FILE_CASES])
@pytest.mark.parametrize("output_format", ["md", "json"])
def test_bad_plan_file_given_to_review(project: Path, case: str, text: str, expected: str,
                                       output_format: str) -> None:
    plan = project / f"{case}.json"
    plan.write_text(text, encoding="utf-8")
    review_file = project / f"review.{output_format}"
    before = snapshot(project)
    result = run_cli("review", str(plan), "--format", output_format, "--output", str(review_file))
    assert_clean_failure(result, code=1)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {plan}") and expected in line, line
    assert snapshot(project) == before, "no review (nor a .partial) is written for a bad plan"


def test_missing_plan_file_given_to_review(project: Path) -> None:
    result = run_cli("review", str(project / "nowhere.json"))
    assert_clean_failure(result, code=1)
    assert result.stderr.rstrip("\n") == f"Error: {project / 'nowhere.json'}: no such plan file"


def test_plan_of_another_environment_given_to_review(project: Path) -> None:
    """A prod plan reviewed as staging would put prod's changes under staging's label on the pull request."""
    folder = project / ".toolkit" / "envs" / "prod" / "plans" / "20261126T000000Z-0a0a"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text('{"format_version":"1.0","resource_changes":[]}', encoding="utf-8")
    (folder / "metadata.json").write_text('{"environment": "prod"}', encoding="utf-8")
    result = run_cli("review", str(folder / "plan.json"), "--environment", "staging", "--format", "md")
    assert_clean_failure(result, code=1)
    assert result.stderr.rstrip("\n") == (
        f"Error: {folder / 'plan.json'} is a plan of prod (its metadata.json), not of staging: review it as prod "
        "or leave out --environment")
    assert result.stdout == ""


# ---------------------------------------------------------------------------------------------
# Migration folders, through `toolkit db migrate` against a real database
# ---------------------------------------------------------------------------------------------

MIGRATION_CASES: list[tuple[str, dict[str, str], str]] = [
    ("duplicate-version", {"001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 2;"},
     "{dir}/1_b.sql: duplicate version 001: 001_a.sql has the same version"),
    ("bad-name", {"001_a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;"},
     "{dir}/V2__b.sql: bad migration file name: expected NNN_description.sql or NNN_description.down.sql "
     "(digits, underscore, letters/digits/_/-)"),
    ("name-without-description", {"002.sql": "SELECT 2;"},
     "{dir}/002.sql: bad migration file name: expected NNN_description.sql or NNN_description.down.sql "
     "(digits, underscore, letters/digits/_/-)"),
    ("empty-file", {"001_a.sql": "SELECT 1;", "002_b.sql": ""},
     "{dir}/002_b.sql: empty migration: the file holds no SQL statement"),
    ("comments-only", {"001_a.sql": "-- nothing here\n/* still nothing */\n"},
     "{dir}/001_a.sql: empty migration: the file holds no SQL statement"),
    ("down-without-up", {"001_a.sql": "SELECT 1;", "002_b.down.sql": "SELECT 2;"},
     "{dir}/002_b.down.sql: down migration without an up migration (no 002_*.sql)"),
    ("transaction-control", {"001_a.sql": "CREATE TABLE t (id int);\nCOMMIT;\n"},
     "{dir}/001_a.sql, line 2: 'COMMIT' controls the transaction; each migration already runs in its own "
     "transaction: remove it (or declare '-- toolkit:no-transaction' for statements that cannot run in one)"),
    ("skip-without-file", {"001_a.sql": "SELECT 1;", "skip.txt": "005: never written\n"},
     "{dir}/skip.txt: version 005 has no migration file"),
]


def _no_history(database: PostgresDatabase) -> bool:
    return not database.query("SELECT to_regclass('public.toolkit_schema_history') IS NOT NULL")[0][0]


@pytest.mark.parametrize(("case", "files", "expected"), MIGRATION_CASES, ids=[case[0] for case in MIGRATION_CASES])
def test_bad_migration_folder(project: Path, postgres_database: PostgresDatabase, case: str,
                              files: dict[str, str], expected: str) -> None:
    folder = project / "bad-migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    before = snapshot(project)
    result = run_cli("db", "migrate", "dev", "--dir", str(folder), "--dsn", postgres_database.dsn)
    assert_clean_failure(result, code=1)
    # --dsn with a password warns first (the test's database password is on its command line).
    assert result.stderr.rstrip("\n") == f"{DSN_ON_COMMAND_LINE_WARNING}\nError: " + expected.format(dir=folder)
    assert SUPERUSER_PASSWORD not in result.output
    assert _no_history(postgres_database), "a bad folder is refused before anything touches the database"
    assert snapshot(project) == before


def test_gaps_between_versions_are_allowed(project: Path, postgres_database: PostgresDatabase) -> None:
    folder = project / "gaps"
    folder.mkdir()
    (folder / "001_first.sql").write_text("CREATE TABLE gap_a (id int);", encoding="utf-8")
    (folder / "010_tenth.sql").write_text("CREATE TABLE gap_b (id int);", encoding="utf-8")
    result = run_cli("db", "migrate", "dev", "--dir", str(folder), "--dsn", postgres_database.dsn)
    assert result.exit_code == 0, result.output
    rows = postgres_database.query("SELECT version, success FROM public.toolkit_schema_history ORDER BY version")
    assert [(str(version), success) for version, success in rows] == [("1", True), ("10", True)]


# ---------------------------------------------------------------------------------------------
# Missing credentials, unreachable endpoints, missing terraform
# ---------------------------------------------------------------------------------------------

def closed_port() -> int:
    """A port nothing listens on: bound and released at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def plant_checkpoint(project: Path, environment: str) -> str:
    """A checkpoint naming one ECS service, as `toolkit apply` would have saved it."""
    from toolkit.clock import new_record_id
    from toolkit.records.checkpoints import Checkpoint, CheckpointStore, EcsServiceSnapshot

    checkpoint = Checkpoint(id=new_record_id(), environment=environment, created_at="2026-11-26T10:00:00Z",
                            created_by="ci@runner", git_commit=None, tfvars_sha256=None, plan_sha256=None,
                            state=None)
    checkpoint.ecs_services.append(EcsServiceSnapshot(cluster="edu", service="web",
                                                      task_definition_arn="arn:aws:ecs:sa-east-1:1:task-definition/web:3",
                                                      desired_count=2, running_count=2))
    CheckpointStore(project / ".toolkit" / "envs" / environment / "checkpoints").save(checkpoint)
    return checkpoint.id


def records(project: Path) -> list[str]:
    """Run records a failed command must not leave: state, plans, checkpoints, journals."""
    data = project / ".toolkit"
    found = [path for pattern in ("state/**/*.tfstate", "envs/*/plans/*/*", "envs/*/journal*")
             for path in data.glob(pattern)]
    return sorted(str(path.relative_to(project)) for path in found)


def test_rollback_without_credentials(project: Path) -> None:
    checkpoint = plant_checkpoint(project, "dev")
    before = snapshot(project)
    result = run_cli("rollback", "dev", "--step", "ecs-task-definition", "--yes")
    assert_clean_failure(result, code=1)
    assert "no AWS credentials found (set AWS_PROFILE, run `aws sso login`, or export " \
           "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)" in result.stderr
    assert f"--to {checkpoint}" in result.stderr, "the error says how to resume"
    changed = {key for key in snapshot(project).keys() ^ before.keys()}
    assert all("journal" in key for key in changed), changed


def test_db_secret_without_credentials(project: Path) -> None:
    before = snapshot(project)
    result = run_cli("db", "status", "dev", "--secret-id", "edu/dev/db")
    assert_clean_failure(result, code=1)
    assert result.stderr.startswith("Error: cannot read secret edu/dev/db: ")
    assert "credentials" in result.stderr
    assert snapshot(project) == before


@pytest.fixture
def unreachable(project: Path, clean_environment: pytest.MonkeyPatch) -> str:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    clean_environment.setenv("AWS_ENDPOINT_URL", endpoint)
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clean_environment.setenv("AWS_MAX_ATTEMPTS", "2")
    return endpoint


def test_rollback_with_unreachable_endpoint(project: Path, unreachable: str) -> None:
    plant_checkpoint(project, "dev")
    result = run_cli("rollback", "dev", "--tier", "immediate")
    assert_clean_failure(result, code=1)
    assert f'cannot reach the AWS endpoint: Could not connect to the endpoint URL: "{unreachable}/"' in result.stderr
    assert "(nothing was changed)" in result.stderr
    assert records(project) == []


def test_db_secret_with_unreachable_endpoint(project: Path, unreachable: str) -> None:
    before = snapshot(project)
    result = run_cli("db", "status", "dev", "--secret-id", "edu/dev/db")
    assert_clean_failure(result, code=1)
    assert result.stderr.rstrip("\n") == (
        f'Error: cannot read secret edu/dev/db: Could not connect to the endpoint URL: "{unreachable}/"')
    assert snapshot(project) == before


@pytest.mark.slow
def test_drift_with_unreachable_endpoint(project: Path, unreachable: str) -> None:
    result = run_cli("drift", "sandbox", "--quiet")
    assert_clean_failure(result, code=1)
    assert "terraform init failed for sandbox" in result.stderr
    assert f"dial tcp {unreachable.removeprefix('http://')}: connect: connection refused" in result.stderr
    assert records(project) == []


def test_plan_without_terraform(project: Path, clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("TOOLKIT_TERRAFORM", "/nonexistent/terraform")
    result = run_cli("plan", "dev")
    assert_clean_failure(result, code=1)
    # The override names a program that is not there: the error says which variable and which value.
    assert result.stderr.rstrip("\n").splitlines()[-1] == (
        "Error: TOOLKIT_TERRAFORM=/nonexistent/terraform: not an executable file")
    assert records(project) == []


def test_check_without_terraform(project: Path, clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("TOOLKIT_TERRAFORM", "/nonexistent/terraform")
    before = snapshot(project)
    result = run_cli("check", "--fmt")
    assert_clean_failure(result, code=1)
    assert "TOOLKIT_TERRAFORM=/nonexistent/terraform: not an executable file" in result.stdout
    assert result.stderr.rstrip("\n") == "Error: 1 of 1 checks failed: fmt"
    assert snapshot(project) == before


def test_unlock_needs_no_terraform(project: Path, clean_environment: pytest.MonkeyPatch) -> None:
    """`toolkit unlock` reads and releases the lock itself (toolkit.state.lock): it works with no engine at all."""
    clean_environment.setenv("TOOLKIT_TERRAFORM", "/nonexistent/terraform")
    result = run_cli("unlock", "dev", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout == "dev: the state is not locked; nothing to release\n"
    assert records(project) == []
