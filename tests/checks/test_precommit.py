"""The pre-commit hooks (.pre-commit-config.yaml) run programs `make setup` installs: each entry's program exists,
the fmt hook is the project's engine, and it runs as written."""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest
import yaml

from toolkit.binaries import PROJECT_ENGINE

from .conftest import PROJECT_ROOT

HOOKS = [hook for repo in yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text())["repos"]
         for hook in repo["hooks"]]


@pytest.mark.parametrize("hook", HOOKS, ids=[hook["id"] for hook in HOOKS])
def test_every_hook_runs_a_program_set_up_installs(hook: dict[str, object]) -> None:
    program = PROJECT_ROOT / shlex.split(str(hook["entry"]))[0]
    assert hook["language"] == "system"
    assert program.is_file() and os.access(program, os.X_OK), f"{hook['id']}: {program} is not there after set-up"


def test_the_fmt_hook_is_the_engine_and_runs_as_written() -> None:
    [fmt] = [hook for hook in HOOKS if hook["id"] == "terraform-fmt"]
    command = shlex.split(str(fmt["entry"]))
    assert command[0] == str(PROJECT_ENGINE)
    files = ["modules/kms-key/main.tf", "modules/kms-key/variables.tf"]
    completed = subprocess.run([*command, *files], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                               check=False, env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull})
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_tflint_hook_runs_the_toolkit_check() -> None:
    [tflint] = [hook for hook in HOOKS if hook["id"] == "tflint"]
    assert shlex.split(str(tflint["entry"]))[1:] == ["check", "--tflint"]
    assert tflint["pass_filenames"] is False  # tflint lints folders, with .tflint.hcl
