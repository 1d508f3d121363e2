"""An API moto lacks shows while terraform still retries it: named, with the resources waiting on it and the
setting that switches the feature off (moto answers 500 and the provider retries for minutes)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.emulator import MissingApiWatch
from toolkit.engine.terraform import Terraform, TerraformBinary
from toolkit.errors import TerraformError

LINE = b"NotImplementedError: The create_cache_parameter_group action has not been implemented\n"


def test_the_watch_names_each_missing_api_once_with_its_setting(tmp_path: Path) -> None:
    log = tmp_path / "moto.log"
    log.write_bytes(b"old run: " + LINE.replace(b"create_cache", b"delete_cache"))
    watch = MissingApiWatch(log)
    assert watch.poll([]) is None, "what was in the log before the run is not this run's"
    with log.open("ab") as handle:
        handle.write(b"Traceback...\n" + LINE + LINE)
    message = watch.poll(["module.cache.aws_elasticache_parameter_group.this[0]"])
    assert message is not None
    assert "does not implement create_cache_parameter_group" in message
    assert "module.cache.aws_elasticache_parameter_group.this[0]" in message
    assert "emulator.features_off: {cache.enabled: <reason>}" in message
    assert watch.poll([]) is None
    with log.open("ab") as handle:
        handle.write(b"NotImplementedError: The put_widget action has not been implemented\n")
    unknown = watch.poll([])
    assert unknown is not None and "put_widget" in unknown and "emulator.features_off" in unknown


class Recorded:
    def __init__(self) -> None:
        self.steps: list[str] = []

    def step(self, environment: str, text: str) -> None:
        self.steps.append(text)

    def line(self, environment: str, text: str) -> None:
        pass

    def still_running(self, environment: str, command: str, elapsed_seconds: float) -> None:
        pass


def test_a_run_stuck_on_a_missing_api_says_so_while_it_runs_and_in_its_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "moto.log"
    log.write_bytes(b"")
    fake = tmp_path / "terraform"
    fake.write_text(f"#!{sys.executable}\n"
                    "import sys, time\n"
                    "print('module.cache.aws_elasticache_parameter_group.this[0]: Still creating... [10s elapsed]',"
                    " flush=True)\n"
                    "print('module.network.aws_vpc.this[0]: Creation complete after 1s', flush=True)\n"
                    "time.sleep(3.5)\n"
                    "sys.exit(1)\n")
    fake.chmod(0o755)
    monkeypatch.setattr("toolkit.engine.terraform.WATCH_SECONDS", 0.2)
    progress = Recorded()
    terraform = Terraform(TerraformBinary(fake, "1.15.5", "terraform"), tmp_path, {"PATH": "/usr/bin:/bin"}, "local",
                          progress, emulator_watch=MissingApiWatch(log))

    def moto_fails_later() -> None:
        time.sleep(1.0)
        with log.open("ab") as handle:
            handle.write(LINE)

    writer = threading.Thread(target=moto_fails_later)
    writer.start()
    with pytest.raises(TerraformError) as failed:
        terraform.run("apply", stream=True)
    writer.join()
    named = [step for step in progress.steps if "does not implement create_cache_parameter_group" in step]
    assert len(named) == 1, progress.steps
    assert "waiting on it: module.cache.aws_elasticache_parameter_group.this[0];" in named[0]
    assert "cache.enabled" in str(failed.value)


@pytest.mark.timeout(60)
def test_a_megabyte_line_of_json_passes_through_the_watch_in_linear_time(tmp_path: Path) -> None:
    # `terraform show -json` prints the plan on one line; the progress-line patterns once scanned it with an
    # unanchored `\S+` (quadratic: 40 kB took 8 s, the real root's plan stopped the drill at its timeout).
    log = tmp_path / "moto.log"
    log.write_bytes(b"")
    fake = tmp_path / "terraform"
    fake.write_text(f"#!{sys.executable}\n"
                    "import sys\n"
                    "sys.stdout.write('{\"resource_changes\":' + 'x' * 2_000_000 + '}\\n')\n"
                    "print('module.network.aws_vpc.this[0]: Still creating... [10s elapsed]')\n")
    fake.chmod(0o755)
    terraform = Terraform(TerraformBinary(fake, "1.15.5", "terraform"), tmp_path, {"PATH": "/usr/bin:/bin"}, "local",
                          Recorded(), emulator_watch=MissingApiWatch(log))
    result = terraform.run("show", "-json")
    assert result.stdout.startswith('{"resource_changes":') and len(result.stdout) > 2_000_000
