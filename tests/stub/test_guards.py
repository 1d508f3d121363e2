"""The stub is never used for a real plan or apply: the engine refuses its mirror and its CLI config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import GuardError
from toolkit.stub_mirror import StubMirror, refuse_stub_config

from .conftest import REPO


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Path) -> Path:
    for folder in ("envs", "terraform", "modules"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    return tmp_path


@pytest.mark.parametrize("how", ["provider mirror", "inherited CLI config"])
def test_plan_refuses_the_stub(project: Path, fixture_mirror: StubMirror, monkeypatch: pytest.MonkeyPatch,
                               how: str) -> None:
    if how == "provider mirror":
        monkeypatch.setenv("TOOLKIT_PROVIDER_MIRROR", str(fixture_mirror.mirror_dir))
        expected = (f"Error: {fixture_mirror.mirror_dir} is the offline stub provider mirror: real plans and applies "
                    "never use it (unset TOOLKIT_PROVIDER_MIRROR or point it at a real provider mirror)")
    else:
        monkeypatch.setenv("TOOLKIT_PROVIDER_MIRROR", "off")
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(fixture_mirror.cli_config))
        expected = (f"Error: TF_CLI_CONFIG_FILE={fixture_mirror.cli_config} installs the offline stub providers: "
                    "real plans and applies never use them (unset TF_CLI_CONFIG_FILE)")
    result = CliRunner().invoke(app, ["plan", "dev"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == expected
    data = project / ".toolkit" / "envs" / "dev"
    assert not (data / "plans").exists()
    assert not (data / "terraform" / "providers").exists()
    assert not list(project.rglob(".terraform.lock.hcl"))


def test_a_hand_written_config_pointing_at_the_stub_mirror_is_refused(tmp_path: Path,
                                                                      fixture_mirror: StubMirror) -> None:
    config = tmp_path / "my.tfrc"
    config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{fixture_mirror.mirror_dir}"\n'
                      '  }\n}\n')
    with pytest.raises(GuardError, match="installs the offline stub providers"):
        refuse_stub_config(config)
    config.write_text('provider_installation {\n  direct {}\n}\n')
    refuse_stub_config(config)


def test_stub_runs_drop_the_plugin_cache_and_credentials(fixture_mirror: StubMirror, tmp_path: Path) -> None:
    """A shared plugin cache would hand the stub to later real inits; real credentials must not reach it."""
    environment = fixture_mirror.environment(tmp_path, {"TF_PLUGIN_CACHE_DIR": "/cache", "AWS_PROFILE": "prod",
                                                        "AWS_SESSION_TOKEN": "token", "PATH": "/bin",
                                                        "TF_CLI_ARGS_validate": "-no-tests", "TF_CLI_ARGS": "-x"})
    assert "TF_PLUGIN_CACHE_DIR" not in environment
    assert not any(name.startswith("TF_CLI_ARGS") for name in environment)
    assert "AWS_PROFILE" not in environment and "AWS_SESSION_TOKEN" not in environment
    assert environment["TF_CLI_CONFIG_FILE"] == str(fixture_mirror.cli_config)
    assert environment["TF_DATA_DIR"] == str(tmp_path)


@pytest.mark.parametrize("written", ["json", "dev_overrides", "symlink"])
def test_other_spellings_of_a_config_pointing_at_the_stub_are_refused(tmp_path: Path, fixture_mirror: StubMirror,
                                                                      written: str) -> None:
    """Attacks: the CLI config as JSON, a dev_overrides folder inside the mirror, a symlink to the mirror."""
    provider_dir = next(path.parent for path in fixture_mirror.mirror_dir.rglob("terraform-provider-*"))
    config = tmp_path / ("my.tfrc.json" if written == "json" else "my.tfrc")
    if written == "json":
        config.write_text(json.dumps({"provider_installation": {"filesystem_mirror": [
            {"path": str(fixture_mirror.mirror_dir)}]}}))
    elif written == "dev_overrides":
        config.write_text(f'provider_installation {{\n  dev_overrides {{\n    "hashicorp/aws" = "{provider_dir}"\n'
                          '  }\n  direct {}\n}\n')
    else:
        (tmp_path / "mirror").symlink_to(fixture_mirror.mirror_dir, target_is_directory=True)
        config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{tmp_path / "mirror"}"\n'
                          '  }\n}\n')
    with pytest.raises(GuardError, match="installs the offline stub providers"):
        refuse_stub_config(config)
