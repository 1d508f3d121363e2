"""One name per input from envs/ to the module (issue 26 item 4): the modules took the envs names, and a key written
with a module's former name (copied from an older README or example) is refused with the name to write instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.config.environment import FORMER_MODULE_NAMES
from toolkit.config.model import Settings

REPO = Path(__file__).resolve().parents[2]


def _field(dotted: str) -> bool:
    section, key = dotted.split(".")
    annotation = Settings.model_fields[section].annotation
    return key in annotation.model_fields  # type: ignore[union-attr]


@pytest.mark.parametrize(("former", "current"), sorted(FORMER_MODULE_NAMES.items()),
                         ids=[".".join(former) for former in sorted(FORMER_MODULE_NAMES)])
def test_each_former_name_points_at_an_envs_key_and_is_gone_from_its_module(former: tuple[str, str],
                                                                           current: str) -> None:
    section, old = former
    assert _field(current), f"{current} is not an envs key"
    assert old not in Settings.model_fields[section].annotation.model_fields  # type: ignore[union-attr]
    variables = (REPO / "modules" / section / "variables.tf").read_text(encoding="utf-8")
    # Neither a variable nor an attribute of an object-typed one carries the former name.
    assert not re.search(rf'^variable "{old}"|^\s+{old}\s+=\s+(optional\()?(number|bool|string)', variables, re.M), \
        f"modules/{section} still has an input named {old}"


def test_a_former_name_in_an_environment_file_names_the_key_to_write(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from typer.testing import CliRunner

    from toolkit.cli import app

    shutil.copytree(REPO / "envs", tmp_path / "envs")
    (tmp_path / "envs" / "dev.yaml").write_text("network:\n  flow_log_retention_days: 30\n", encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["envs", "show", "dev"])
    assert result.exit_code != 0
    assert ("envs/dev.yaml:2: network.flow_log_retention_days = 30: unknown key: the modules' former name of "
            "monitoring.log_retention_days (one name from envs/ to the module now); write "
            "monitoring.log_retention_days") in result.output
