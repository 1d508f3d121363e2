"""Bad environment files and arguments: exact error text, non-zero exit, nothing rendered."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.foundation.conftest import files_under
from toolkit.cli import app

runner = CliRunner()

# (case id, environment file, text to append ("=..." replaces the file, "s/old/new/" edits it), expected stderr)
NAME_MESSAGE = ("the name says it holds a secret (password, token, key, credential, DSN, …): secrets come from S"
                "ecrets Manager (compute.secrets wires them into the task) or TF_VAR_*, never from environment files")
VALUE_MESSAGE = ("the value holds a secret (a URL with a password, a PEM block or an AWS secret access key): keep"
                 " it in Secrets Manager and pass the app its ARN")

CASES: list[tuple[str, str, str, str]] = [
    ("yaml-syntax", "dev", "=database:\n  x: [1\n",
     "Error: envs/dev.yaml:3: YAML syntax error: expected ',' or ']', but got '<stream end>'"),
    ("duplicate-key", "dev", "tags:\n  a: b\n",
     "Error: envs/dev.yaml:6: YAML syntax error: duplicate key 'tags' (first at line 4)"),
    ("top-level-list", "dev", "=- a\n- b\n",
     "Error: envs/dev.yaml:1: the top level must be a mapping of keys, not list"),
    ("unknown-top-key", "dev", "databse:\n  multi_az: true\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:6: databse: unknown key (did you mean 'database'?); "
     "allowed: allow_auto_apply, app_settings, audit, aws_region, backend, backup, budget, cache, cdn, compute, "
     "database, domain, emulator, enable_xray, migrations, monitoring, network, project, protected, storage, tags, "
     "terraform, usage, waf"),
    ("unknown-nested-key", "dev", "database:\n  instanse_class: db.t3.micro\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.instanse_class = 'db.t3.micro': unknown key "
     "(did you mean 'instance_class'?); allowed: allocated_storage_gb, app_username, backup_retention_days, "
     "deletion_protection, "
     "engine_mode, engine_version, enhanced_monitoring_interval_seconds, instance_class, max_allocated_storage_gb, "
     "multi_az, parameters, performance_insights, read_replicas, serverless_max_acu, serverless_min_acu"),
    ("cpu-as-string", "dev", "compute:\n  cpu: '512'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.cpu = '512': Input should be a valid integer"),
    ("bool-as-string", "dev", "waf:\n  enabled: 'yes'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: waf.enabled = 'yes': Input should be a valid boolean"),
    ("fargate-cpu", "dev", "compute:\n  cpu: 300\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.cpu = 300: must be one of the Fargate CPU sizes "
     "[256, 512, 1024, 2048, 4096, 8192, 16384]"),
    ("fargate-memory", "dev", "compute:\n  memory_mib: 8192\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.memory_mib = 8192: Fargate CPU 512 accepts "
     "memory_mib 1024 to 4096 in steps of 1024"),
    ("min-over-max", "dev", "compute:\n  min_tasks: 3\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.min_tasks = 3: must not exceed max_tasks (2)"),
    ("waf-rate", "dev", "waf:\n  rate_limit: 5\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: waf.rate_limit = 5: Input should be greater than or "
     "equal to 10"),
    ("waf-window", "dev", "waf:\n  rate_limit_window_seconds: 30\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: waf.rate_limit_window_seconds = 30: must be one of "
     "[60, 120, 300, 600] (WAFv2 evaluation windows)"),
    ("waf-country", "dev", "waf:\n  allowed_countries: [Brazil]\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: waf.allowed_countries.0 = 'Brazil': String should "
     "match pattern '^[A-Z]{2}$'"),
    ("s3-ia-too-early", "dev",
     "storage:\n  buckets:\n    uploads:\n      lifecycle:\n"
     "        - {id: r, transitions: [{days: 10, storage_class: STANDARD_IA}]}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:10: storage.buckets.uploads.lifecycle.0.transitions.0.days"
     " = 10: AWS accepts STANDARD_IA transitions from day 30"),
    ("s3-glacier-after-ia", "dev",
     "storage:\n  buckets:\n    uploads:\n      lifecycle:\n        - {id: r, transitions: "
     "[{days: 30, storage_class: STANDARD_IA}, {days: 45, storage_class: GLACIER}]}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:10: storage.buckets.uploads.lifecycle.0.transitions.1.days"
     " = 45: objects must stay 30 days in Standard-IA first: at least day 60"),
    ("s3-expire-before-transition", "dev",
     "storage:\n  buckets:\n    exports:\n      lifecycle:\n        - {id: r, transitions: "
     "[{days: 30, storage_class: GLACIER}], expiration_days: 20}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:10: storage.buckets.exports.lifecycle.0.expiration_days"
     " = 20: must be after the last transition (day 30)"),
    ("bucket-name", "dev", "storage:\n  buckets:\n    Exports_Bucket: {}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: storage.buckets.Exports_Bucket: invalid name: String "
     "should match pattern '^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$'"),
    ("acu-half-steps", "dev", "database:\n  serverless_min_acu: 0.7\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.serverless_min_acu = 0.7: must be a multiple "
     "of 0.5 ACU"),
    ("acu-range", "dev", "database:\n  serverless_max_acu: 300\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.serverless_max_acu = 300: Input should be "
     "less than or equal to 256"),
    ("acu-min-over-max", "dev", "database:\n  serverless_min_acu: 64\n  serverless_max_acu: 32\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.serverless_min_acu = 64: must not exceed "
     "serverless_max_acu (32)"),
    ("storage-shrinks", "dev", "database:\n  max_allocated_storage_gb: 10\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.max_allocated_storage_gb = 10: Input should "
     "be greater than or equal to 20"),
    ("prod-single-az", "prod", "s/multi_az: true/multi_az: false/",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:11: database.multi_az = False: must be true in a "
     "protected environment"),
    ("prod-short-backups", "prod", "s/backup_retention_days: 7/backup_retention_days: 3/",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:12: database.backup_retention_days = 3: must be at least"
     " 7 in a protected environment"),
    ("prod-unprotected", "prod", "s/protected: true/protected: false/",
     "Error: envs/prod.yaml:3: protected: false is not allowed: prod is always protected"),
    ("cache-shards-without-cluster", "dev", "cache:\n  shards: 3\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: cache.shards = 3: must be 1 unless cluster_mode is true"),
    ("cache-replicas", "dev", "cache:\n  replicas_per_shard: 6\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: cache.replicas_per_shard = 6: Input should be less "
     "than or equal to 5"),
    ("secret-in-app-settings", "dev", "app_settings:\n  DB_PASSWORD: 'hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.DB_PASSWORD = (value hidden): "
     + NAME_MESSAGE),
    ("secret-passwd", "dev", "app_settings:\n  DB_PASSWD: 'hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.DB_PASSWD = (value hidden): "
     + NAME_MESSAGE),
    ("secret-api-key", "dev", "app_settings:\n  API_KEY: 'hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.API_KEY = (value hidden): "
     + NAME_MESSAGE),
    ("secret-credentials", "dev", "app_settings:\n  SMTP_CREDENTIALS: 'hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.SMTP_CREDENTIALS = (value hidden): "
     + NAME_MESSAGE),
    ("secret-dsn", "dev", "app_settings:\n  DATABASE_DSN: 'hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.DATABASE_DSN = (value hidden): "
     + NAME_MESSAGE),
    ("secret-url-with-password", "dev", "app_settings:\n  DATABASE_URL: 'postgres://app:hunter2-canary@db/app'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.DATABASE_URL = (value hidden): "
     + VALUE_MESSAGE),
    ("secret-pem", "dev", "app_settings:\n  TLS_BUNDLE: '-----BEGIN PRIVATE KEY----- hunter2-canary'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.TLS_BUNDLE = (value hidden): "
     + VALUE_MESSAGE),
    ("secret-aws-key", "dev", "app_settings:\n  UPLOAD_SIGNER: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYhunter2Can'\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.UPLOAD_SIGNER = (value hidden): "
     + VALUE_MESSAGE),
    ("secret-lowercase-name-hides-its-value", "dev", "app_settings:\n  Db_Pass: hunter2-canary\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.Db_Pass = (value hidden): "
     + NAME_MESSAGE),
    ("app-setting-number", "dev", "app_settings:\n  MAX_DISCIPLINES: 25\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: app_settings.MAX_DISCIPLINES = 25: Input should be a "
     "valid string"),
    ("vpc-cidr", "dev", "network:\n  vpc_cidr: 10.0.0.0/8\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: network.vpc_cidr = '10.0.0.0/8': prefix length must be "
     "/16 to /24 (room for the public and private subnets)"),
    ("s3-backend-without-bucket", "dev", "backend:\n  type: s3\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:6: backend.bucket: required when backend.type is s3"),
    ("log-retention", "dev", "monitoring:\n  log_retention_days: 45\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: monitoring.log_retention_days = 45: must be a CloudWatch"
     " Logs retention: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
     "2922, 3288, 3653]"),
    ("prod-auto-apply", "prod", "s/protected: true/protected: true\nallow_auto_apply: true/",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:4: allow_auto_apply = True: must be false in a protected "
     "environment: it applies only a reviewed, saved plan"),
    ("parameter-list", "dev", "database:\n  parameters:\n    work_mem: [1, 2]\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: database.parameters.work_mem: Input should be a string, "
     "an integer or a number"),
    # Issue 13: the protected environment's audit trail, compliance backups and domain (certificates).
    ("prod-no-cloudtrail", "prod", "s/  cloudtrail: true/  cloudtrail: false/",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:38: audit.cloudtrail = False: must be true in a protected "
     "environment"),
    ("prod-no-aws-backup", "prod", "s/backup:\n  enabled: true/backup:\n  enabled: false/",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:40: backup.enabled = False: must be true in a protected "
     "environment (30-day compliance retention through AWS Backup)"),
    ("prod-short-aws-backup", "prod", "s/  retention_days: 30 /  retention_days: 14 /",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:41: backup.retention_days = 14: must be at least 30 in a "
     "protected environment"),
    ("prod-no-domain", "prod", "s/  name: app.edu-platform.com.br /  name: null /",
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:35: domain.name = None: required in a protected "
     "environment: the HTTPS listener and CloudFront need certificates for it (looked up by this name, or given "
     "as domain.alb_certificate_arn / domain.cloudfront_certificate_arn)"),
    ("cloudfront-certificate-region", "dev",
     "domain:\n  name: dev.example.com\n  cloudfront_certificate_arn: "
     "arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: domain.cloudfront_certificate_arn = "
     "'arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000': must be an ACM "
     "certificate in us-east-1 (CloudFront only uses certificates from that region)"),
    ("cdn-without-domain", "dev", "cdn:\n  enabled: true\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: cdn.enabled = True: needs domain.name: CloudFront reaches "
     "the load balancer over HTTPS by a name its certificate covers (domain.origin_name, default origin.<name>)"),
    ("app-username", "dev", "database:\n  app_username: App-User\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: database.app_username = 'App-User': String should "
     "match pattern '^[a-z_][a-z0-9_]{0,62}$'"),
    ("budget-range", "dev", "budget:\n  monthly_min_usd: 500\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: budget.monthly_min_usd = 500: must not exceed "
     "monthly_max_usd (200)"),
]


def _apply(project_dir: Path, target: str, text: str) -> None:
    path = project_dir / "envs" / f"{target}.yaml"
    if text.startswith("="):
        path.write_text(text[1:])
    elif text.startswith("s/"):
        old, new = text[2:-1].split("/")
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))
    else:
        path.write_text(path.read_text() + text)


@pytest.mark.parametrize(("case", "target", "text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_bad_environment_file_is_refused_with_exact_message(
    project_dir: Path, case: str, target: str, text: str, expected: str
) -> None:
    _apply(project_dir, target, text)
    before = files_under(project_dir)
    result = runner.invoke(app, ["render", target])
    assert result.exit_code == 1, result.output
    assert result.stderr.rstrip("\n") == expected
    assert "Traceback" not in result.output
    assert files_under(project_dir) == before, "a refused render must write nothing"
    for canary in ("hunter2-canary", "hunter2Can"):
        assert canary not in result.output, "a refused secret is never printed"


def test_render_all_writes_nothing_when_one_environment_is_invalid(project_dir: Path) -> None:
    _apply(project_dir, "staging", "compute:\n  cpu: 300\n")
    result = runner.invoke(app, ["render", "--all"])
    assert result.exit_code == 1, result.output
    assert not (project_dir / "build").exists()


ARGUMENT_CASES = [
    (["render"], 1, "Error: give an environment name or --all (not both)"),
    (["render", "dev", "--all"], 1, "Error: give an environment name or --all (not both)"),
    (["render", "prd"], 1, "Error: unknown environment 'prd' (did you mean 'prod'?): choose one of dev, prod, "
                           "staging (files in envs/)"),
    (["envs", "show", "Prod"], 1, "Error: unknown environment 'Prod' (did you mean 'prod'?): choose one of dev, "
                                  "prod, staging (files in envs/)"),
    (["envs", "diff", "dev", "qa"], 1, "Error: unknown environment 'qa': choose one of dev, prod, staging "
                                       "(files in envs/)"),
]


@pytest.mark.parametrize(("arguments", "code", "expected"), ARGUMENT_CASES,
                         ids=["-".join(case[0]) for case in ARGUMENT_CASES])
def test_bad_arguments(project_dir: Path, arguments: list[str], code: int, expected: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == code, result.output
    assert result.stderr.rstrip("\n") == expected
    assert not (project_dir / "build").exists()


def test_value_of_wrong_type_for_the_root_module_is_refused(project_dir: Path) -> None:
    """A root variable whose type disagrees with the config is caught before anything is written."""
    variables = project_dir / "terraform" / "toolkit_test_variables.tf"
    variables.write_text('variable "release_channel" {\n  description = "test"\n  type = string\n}\n')
    result = runner.invoke(app, ["render", "dev"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (
        "  release_channel: required by toolkit_test_variables.tf but has no value: add it to envs/dev.yaml "
        "(or set TF_VAR_release_channel for a secret)")
    assert not (project_dir / "build").exists()


def test_missing_root_module_is_refused(project_dir: Path) -> None:
    _apply(project_dir, "dev", "terraform:\n  root: no/such/root\n")
    result = runner.invoke(app, ["render", "dev"])
    assert result.exit_code == 1, result.output
    assert result.stderr.rstrip("\n") == (
        "Error: no/such/root: root module folder not found (terraform.root in the "
        "environment file)")


AWS_PARTITION = (
    "af-south-1, ap-east-1, ap-east-2, ap-northeast-1, ap-northeast-2, ap-northeast-3, ap-south-1, ap-south-2, "
    "ap-southeast-1, ap-southeast-2, ap-southeast-3, ap-southeast-4, ap-southeast-5, ap-southeast-6, ap-southeast-7, "
    "ca-central-1, ca-west-1, eu-central-1, eu-central-2, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, "
    "eu-west-3, il-central-1, me-central-1, me-south-1, me-west-1, mx-central-1, sa-east-1, sa-west-1, us-east-1, "
    "us-east-2, us-west-1, us-west-2")


@pytest.mark.parametrize(("target", "text", "expected"), [
    ("defaults", "s/aws_region: sa-east-1/aws_region: sa-east-9/",
     "Error: envs/dev.yaml: 1 problem\n  envs/defaults.yaml:{line}: aws_region = 'sa-east-9': unknown AWS region "
     f"(did you mean 'sa-east-1'?); the aws partition has: {AWS_PARTITION}"),
    ("dev", "aws_region: us-easst-1\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:6: aws_region = 'us-easst-1': unknown AWS region "
     f"(did you mean 'us-east-1'?); the aws partition has: {AWS_PARTITION}"),
    ("dev", "backend:\n  region: eu-wset-1\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: backend.region = 'eu-wset-1': unknown AWS region "
     f"(did you mean 'eu-west-1'?); the aws partition has: {AWS_PARTITION}"),
], ids=["defaults-sa-east-9", "dev-typo", "backend-region"])
def test_unknown_region_is_refused_with_a_did_you_mean(project_dir: Path, target: str, text: str,
                                                       expected: str) -> None:
    """Regions come from the partitions botocore ships; the pattern alone let sa-east-9 through."""
    _apply(project_dir, target, text)
    line = next(number for number, content in enumerate(
        (project_dir / "envs" / "defaults.yaml").read_text().splitlines(), start=1) if content.startswith("aws_region"))
    result = runner.invoke(app, ["render", "dev"])
    assert result.exit_code == 1, result.output
    assert result.stderr.rstrip("\n") == expected.format(line=line)
    assert not (project_dir / "build").exists()


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1", "eu-west-3"])
def test_regions_of_every_partition_are_accepted(project_dir: Path, region: str) -> None:
    _apply(project_dir, "dev", f"aws_region: {region}\n")
    result = runner.invoke(app, ["envs", "show", "dev", "--format", "json"])
    assert result.exit_code == 0, result.output
