"""Module contracts: declarations, secret outputs, README tables and local module calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.contract import looks_secret, read_module, render_docs, run_contract_check
from toolkit.checks.findings import CheckResult
from toolkit.checks.runner import CheckTargets

from .conftest import write_files

VARIABLES = """\
variable "name" {
  description = "Name of the cache."
  type        = string
}

variable "node_type" {
  description = "Instance class | size, e.g. cache.t4g.small."
  type        = string
  default     = "cache.t4g.small"
}

variable "auth_token" {
  description = <<-EOT
    AUTH token for Valkey;
    null disables AUTH.
  EOT
  type        = string
  default     = null
  sensitive   = true
}
"""

OUTPUTS = """\
output "endpoint" {
  description = "Primary endpoint address."
  value       = "x"
}

output "auth_token" {
  description = "The AUTH token."
  value       = var.auth_token
  sensitive   = true
}
"""

EXAMPLE = """\
module "cache" {
  source = "../../"

  name      = "example"
  node_type = "cache.t4g.micro"
}
"""


def make_module(root: Path, **overrides: str) -> Path:
    files = {
        "modules/cache/variables.tf": VARIABLES,
        "modules/cache/outputs.tf": OUTPUTS,
        "modules/cache/examples/basic/main.tf": EXAMPLE,
    }
    files.update({name.replace("__", "/").replace("_tf", ".tf"): text for name, text in overrides.items()})
    write_files(root, files)
    return root


def run(root: Path, write_docs: bool = False) -> CheckResult:
    return run_contract_check(root, root / "modules", root / "terraform", write_docs=write_docs)


def messages(result: CheckResult) -> list[str]:
    return [str(finding) for finding in result.findings]


def test_generated_tables(tmp_path: Path) -> None:
    make_module(tmp_path)
    assert render_docs(read_module(tmp_path / "modules" / "cache")) == "\n".join(
        [
            "<!-- BEGIN_TF_DOCS -->",
            "## Inputs",
            "",
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
            "| `auth_token` | AUTH token for Valkey; null disables AUTH. | `string` | `null` | no |",
            "| `name` | Name of the cache. | `string` | n/a | yes |",
            '| `node_type` | Instance class &#124; size, e.g. cache.t4g.small. | `string` | `"cache.t4g.small"` | no |',
            "",
            "## Outputs",
            "",
            "| Name | Description | Sensitive |",
            "|------|-------------|:---------:|",
            "| `auth_token` | The AUTH token. | yes |",
            "| `endpoint` | Primary endpoint address. | no |",
            "<!-- END_TF_DOCS -->",
        ]
    )


def test_missing_readme_then_write_then_pass_then_stale(tmp_path: Path) -> None:
    make_module(tmp_path)
    assert messages(run(tmp_path)) == [
        "modules/cache/README.md: missing: run `toolkit check --docs --write` to generate it"
    ]
    written = run(tmp_path, write_docs=True)
    assert written.status == "passed", messages(written)
    assert written.counts["readmes_rewritten"] == 1
    readme = tmp_path / "modules" / "cache" / "README.md"
    # The example's line comes before the generated tables.
    assert readme.read_text().startswith("# cache\n\n- [basic](examples/basic)\n\n<!-- BEGIN_TF_DOCS -->\n## Inputs\n")
    assert run(tmp_path).status == "passed"
    # Hand-written text around the markers survives a rewrite; only the section changes.
    readme.write_text("# Cache\n\nIntro.\n\n" + readme.read_text().split("\n\n", 1)[1] + "\nFooter.\n")
    (tmp_path / "modules" / "cache" / "outputs.tf").write_text(
        OUTPUTS + 'output "port" {\n  description = "Port."\n  value       = 6379\n}\n'
    )
    assert messages(run(tmp_path)) == [
        "modules/cache/README.md: inputs/outputs tables are out of date: run `toolkit check --docs --write`"
    ]
    run(tmp_path, write_docs=True)
    text = readme.read_text()
    assert text.startswith("# Cache\n\nIntro.\n\n- [basic](examples/basic)\n\n<!-- BEGIN_TF_DOCS -->")
    assert text.endswith("<!-- END_TF_DOCS -->\n\nFooter.\n")
    assert "| `port` | Port. | no |" in text
    assert run(tmp_path).status == "passed"


def test_readme_without_markers(tmp_path: Path) -> None:
    make_module(tmp_path, modules__cache__README_md="# cache\n\n- [basic](examples/basic): the smallest cache.\n")
    (tmp_path / "modules/cache/README_md").rename(tmp_path / "modules/cache/README.md")
    assert messages(run(tmp_path)) == [
        "modules/cache/README.md: no <!-- BEGIN_TF_DOCS --> … <!-- END_TF_DOCS --> section: "
        "run `toolkit check --docs --write` to add it"
    ]


def test_declaration_rules(tmp_path: Path) -> None:
    bad_variables = """\
variable "untyped" {
  description = "No type."
}

variable "undescribed" {
  type = number
}

variable "late" {
  type        = bool
  default     = false
  description = "Description after default."
}

variable "master_password" {
  description = "Password."
  type        = string
}

variable "master_password_secret_arn" {
  description = "ARN of the secret holding the password (not itself a secret)."
  type        = string
}
"""
    bad_outputs = """\
output "secret_string" {
  value = "x"
}
"""
    make_module(tmp_path, modules__cache__variables_tf=bad_variables, modules__cache__outputs_tf=bad_outputs)
    (tmp_path / "modules/cache/examples/basic/main.tf").write_text(
        'module "cache" {\n  source = "../../"\n  undescribed     = 1\n  master_password = "x"\n'
        '  master_password_secret_arn = "arn"\n}\n'
    )
    run(tmp_path, write_docs=True)
    assert messages(run(tmp_path)) == [
        "modules/cache/variables.tf:1: var.untyped: variable has no type",
        "modules/cache/variables.tf:5: var.undescribed: variable has no description",
        "modules/cache/variables.tf:9: var.late: description comes after default: write it first",
        "modules/cache/variables.tf:15: var.master_password: name suggests a secret: set `sensitive = true`",
        "modules/cache/outputs.tf:1: output.secret_string: output has no description",
        "modules/cache/outputs.tf:1: output.secret_string: name suggests a secret: set `sensitive = true`",
        'modules/cache/examples/basic/main.tf:1: module.cache: missing required argument "untyped" '
        '(no default in "../../")',
    ]


def test_example_passes_unknown_and_misses_required_arguments(tmp_path: Path) -> None:
    make_module(
        tmp_path,
        modules__cache__examples__basic__main_tf='module "cache" {\n  source    = "../../"\n  count     = 1\n'
        '  node_typ  = "cache.t4g.micro"\n}\n',
    )
    run(tmp_path, write_docs=True)
    assert messages(run(tmp_path)) == [
        'modules/cache/examples/basic/main.tf:4: module.cache: unknown argument "node_typ": module "../../" declares '
        'no such variable (did you mean "node_type"?)',
        'modules/cache/examples/basic/main.tf:1: module.cache: missing required argument "name" '
        '(no default in "../../")',
    ]


def test_root_module_calls_are_checked_and_its_readme_is_optional(tmp_path: Path) -> None:
    make_module(tmp_path)
    write_files(
        tmp_path,
        {
            "terraform/main.tf": 'module "cache" {\n  source = "../modules/cache"\n  name   = var.name\n'
            '  nodes  = 2\n}\nmodule "gone" {\n  source = "../modules/gone"\n}\n',
            "terraform/variables.tf": 'variable "name" {\n  description = "Name."\n  type        = string\n}\n',
        },
    )
    result = run(tmp_path, write_docs=True)
    assert messages(result) == [
        'terraform/main.tf:4: module.cache: unknown argument "nodes": module "../modules/cache" declares no such '
        "variable",
        'terraform/main.tf:6: module.gone: source "../modules/gone" is not a module directory',
    ]
    assert not (tmp_path / "terraform" / "README.md").exists()
    assert result.counts == {
        "modules": 2,
        "variables": 4,
        "outputs": 2,
        "module_calls": 3,
        "errors": 2,
        "readmes_rewritten": 1,
    }


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("master_password", True),
        ("auth_token", True),
        ("secret_string", True),
        ("db_secret", True),
        ("master_user_secret_kms_key_id", False),
        ("create_secretsmanager_endpoint", False),
        ("auth_token_update_strategy", False),
        ("password_secret_arn", False),
        ("auth_token_secret_recovery_window_days", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_real_modules_meet_the_contract(real_targets: CheckTargets) -> None:
    result = run_contract_check(real_targets.root, real_targets.modules_dir, real_targets.root_module)
    assert result.counts["modules"] > 0
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)
