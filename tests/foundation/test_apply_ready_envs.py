"""Environment rules for what a first real apply would otherwise reject (issue 22 defects 1, 4, 5, 10, 11).

Each case edits one real environment file in a throw-away copy and expects the exact refusal: the file and line,
the key, the value and what is allowed; nothing is rendered.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.foundation.conftest import files_under
from toolkit.cli import app

runner = CliRunner()

PROD_IMAGE = ('  container_image: null                # the application\'s own image replaces the stand-in of '
              'envs/defaults.yaml\n  ecr_repository: edu-platform/api     # this account\'s repository; the deploy '
              'pipeline pushes and bumps the tag\n  image_tag: "1.0.0"\n')

# (case id, environment, edits: (old, new) replacements or text to append, expected stderr)
CASES: list[tuple[str, str, tuple[tuple[str, str], ...] | str, str]] = [
    # Defect 1: the root sets Environment; IAM compares tag keys ignoring case ("Duplicate tag keys found").
    ("tag-equal-to-built-in-apart-from-case", "dev", "tags:\n  environment: dev\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: tags.environment = 'dev': the root sets the built-in tag "
     "'Environment' itself and AWS compares tag keys ignoring case (IAM: \"Duplicate tag keys found\"): remove it; "
     "built-in tags: Project, Environment, ManagedBy, Name"),
    ("tag-name-built-in", "dev", "tags:\n  NAME: x\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: tags.NAME = 'x': the root sets the built-in tag 'Name' "
     "itself and AWS compares tag keys ignoring case (IAM: \"Duplicate tag keys found\"): remove it; built-in tags: "
     "Project, Environment, ManagedBy, Name"),
    ("tags-equal-apart-from-case", "dev", "tags:\n  Team: a\n  team: b\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: tags.team = 'b': duplicates tag 'Team' apart from case "
     "(AWS compares tag keys ignoring case)"),
    ("tag-key-aws-prefix", "dev", "tags:\n  aws:team: a\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: tags.aws:team = 'a': a tag key is 1-128 characters and "
     "may not start with aws:"),
    # Defect 4: a protected environment runs a real image, on its own port.
    ("prod-placeholder-image", "prod", ((PROD_IMAGE, ""),),
     "Error: envs/prod.yaml: 1 problem\n  envs/defaults.yaml:{image_line}: compute.container_image = "
     "'public.ecr.aws/nginx/nginx:stable': a protected environment runs the application's own image, not the "
     "placeholder: set compute.ecr_repository and compute.image_tag (or container_image), with its container_port "
     "and health_check_path"),
    ("image-named-twice", "prod", (("  container_image: null ", "  container_image: registry.example.com/app:1 "),),
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:30: compute.container_image = 'registry.example.com/app:1': "
     "name the application image once: container_image (a full reference) or ecr_repository with image_tag (a "
     "repository of this account)"),
    ("repository-without-tag", "prod", (('  image_tag: "1.0.0"\n', ""),),
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:25: compute.image_tag: required with ecr_repository (the "
     "tag the service runs)"),
    ("no-port", "dev", "compute:\n  container_port: null\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.container_port = None: required: the port the "
     "image listens on (the target group checks compute.health_check_path there)"),
    # Defect 5: a protected environment's alarms reach someone.
    ("prod-no-alarm-subscriber", "prod", (("  alarm_emails: [plataforma-oncall@edu-platform.com.br]\n", ""),),
     "Error: envs/prod.yaml: 1 problem\n  envs/prod.yaml:49: monitoring.alarm_emails: a protected environment's alarms "
     "must reach someone: name at least one e-mail (alarm_emails) or integration (alarm_subscriptions: https, sqs, "
     "lambda or firehose)"),
    ("subscription-with-a-key", "dev",
     "monitoring:\n  alarm_subscriptions:\n    - {protocol: https, endpoint: 'https://app.datadoghq.com/intake/webhook/"
     "sns?api_key=hunter2-canary'}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: monitoring.alarm_subscriptions.0.endpoint = (value hidden): "
     "holds a credential: use the integration's own subscription (the Datadog AWS integration, AWS Chatbot) instead "
     "of a key in a URL"),
    ("subscription-protocol", "dev", "monitoring:\n  alarm_subscriptions:\n    - {protocol: sms, endpoint: '+5511'}\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:8: monitoring.alarm_subscriptions.0.protocol = 'sms': Input "
     "should be 'https', 'sqs', 'lambda' or 'firehose'"),
    # Defect 10: plain HTTP (no domain) only from restricted sources, staging included.
    ("staging-http-to-the-internet", "staging",
     (("domain:\n  name: staging.edu-platform.com.br    # HTTPS on the load balancer as origin.<name>; certificate "
       "created in the zone\n  hosted_zone: edu-platform.com.br\n", ""),),
     "Error: envs/staging.yaml: 1 problem\n  envs/staging.yaml:24: compute.ingress_cidr_blocks: without domain.name "
     "the load balancer serves plain HTTP, so it must not be open to 0.0.0.0/0: set domain.name (HTTPS with its "
     "certificate) or restrict the sources to the team's ranges"),
    ("dev-http-to-the-internet", "dev", "compute:\n  ingress_cidr_blocks: [0.0.0.0/0]\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.ingress_cidr_blocks: without domain.name the load "
     "balancer serves plain HTTP, so it must not be open to 0.0.0.0/0: set domain.name (HTTPS with its certificate) "
     "or restrict the sources to the team's ranges"),
    ("ingress-not-a-cidr", "dev", "compute:\n  ingress_cidr_blocks: [office]\n",
     "Error: envs/dev.yaml: 1 problem\n  envs/dev.yaml:7: compute.ingress_cidr_blocks: 'office' is not an IPv4 "
     "network in CIDR form, such as 203.0.113.0/24"),
    # Defect 11: certificates and DNS are created in a hosted zone, or named.
    ("domain-without-zone-or-certificates", "staging", (("  hosted_zone: edu-platform.com.br\n", ""),),
     "Error: envs/staging.yaml: 1 problem\n  envs/staging.yaml:27: domain.alb_certificate_arn: nothing creates the "
     "certificates without domain.hosted_zone: set domain.hosted_zone (the Route 53 zone of domain.name) or give "
     "domain.alb_certificate_arn (ISSUED, DNS records pointing at the load balancer and CloudFront)"),
    ("domain-outside-zone", "staging", (("  hosted_zone: edu-platform.com.br\n", "  hosted_zone: example.org\n"),),
     "Error: envs/staging.yaml: 1 problem\n  envs/staging.yaml:28: domain.name = 'staging.edu-platform.com.br': must "
     "be in hosted_zone 'example.org' (its records are created there)"),
]


def _edit(project_dir: Path, target: str, edits: tuple[tuple[str, str], ...] | str) -> None:
    path = project_dir / "envs" / f"{target}.yaml"
    text = path.read_text()
    if isinstance(edits, str):
        path.write_text(text + edits)
        return
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)


@pytest.mark.parametrize(("case", "target", "edits", "expected"), CASES, ids=[case[0] for case in CASES])
def test_what_aws_would_reject_is_refused_with_exact_message(
    project_dir: Path, case: str, target: str, edits: tuple[tuple[str, str], ...] | str, expected: str
) -> None:
    _edit(project_dir, target, edits)
    before = files_under(project_dir)
    result = runner.invoke(app, ["render", target])
    assert result.exit_code == 1, result.output
    defaults = (project_dir / "envs" / "defaults.yaml").read_text().splitlines()
    image_line = next(number for number, line in enumerate(defaults, start=1) if line.startswith("  container_image:"))
    assert result.stderr.rstrip("\n") == expected.replace("{image_line}", str(image_line))
    assert files_under(project_dir) == before, "a refused render must write nothing"
    assert "hunter2-canary" not in result.output, "a refused credential is never printed"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_real_environments_set_no_tag_the_root_sets(project_dir: Path, environment: str) -> None:
    """Defect 1 at its source: every environment file rendered, no tag key equal to a built-in one apart from case."""
    result = runner.invoke(app, ["envs", "show", environment, "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    tags = json.loads(result.stdout)["tags"]
    assert not {key.lower() for key in tags} & {"project", "environment", "managedby", "name"}, tags
