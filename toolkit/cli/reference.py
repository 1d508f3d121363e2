"""docs/CLI.md, written from the commands' own help (as sqlite-utils keeps its CLI reference with cog).

    .venv/bin/python -m toolkit.cli.reference           # rewrite docs/CLI.md
    .venv/bin/python -m toolkit.cli.reference --check   # exit 1 when it is stale or a command is missing

tests/cli/test_reference.py runs the check, so a help text changed without regenerating fails the suite.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from toolkit.cli import COMMANDS, app, load_command

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "CLI.md"
WIDTH = 100  # help is wrapped at a fixed width, so the file does not depend on the terminal
HEADER = """# CLI reference

Every `toolkit` command with its options, as `toolkit COMMAND --help` prints them. Generated from the
commands' own help by `.venv/bin/python -m toolkit.cli.reference`; do not edit by hand
(`tests/cli/test_reference.py` fails when this file is stale or a command is missing).

Conventions: `ENV` is an environment (a file `envs/ENV.yaml`); durations are `30s`, `5m`, `1h` (a bare
number is seconds); machine output is `--format json`; exit codes are 0 ok, 2 only "changes present" /
"drift found" (plan, drift), 1 every error (usage errors included), 4 `apply`: terraform applied but the deployment
did not happen (an ECS service rolled back, failed or stuck; a parameter group left pending-reboot).
"""


def command_names() -> Iterator[str]:
    """Every command as typed after `toolkit`, groups first, then their subcommands, in help order."""
    def walk(prefix: str, command: Any) -> Iterator[str]:
        yield prefix
        for name, child in (getattr(command, "commands", None) or {}).items():
            if not getattr(child, "hidden", False):
                yield from walk(f"{prefix} {name}", child)

    for name in COMMANDS:
        yield from walk(name, load_command(name))


def help_text(arguments: list[str]) -> str:
    result = CliRunner().invoke(app, [*arguments, "--help"], prog_name="toolkit", terminal_width=WIDTH,
                                max_content_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"toolkit {' '.join(arguments)} --help exited {result.exit_code}: {result.output}")
    return "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").splitlines())


def render() -> str:
    sections = [HEADER]
    for name in ["", *command_names()]:
        title = f"toolkit {name}".rstrip()
        sections.append(f"## {title}\n\n```text\n{help_text(name.split())}\n```\n")
    return "\n".join(sections)


def problems(existing: str) -> list[str]:
    """What is wrong with a checked-in reference: missing commands by name, else "stale" when it differs."""
    missing = [name for name in command_names() if f"\n## toolkit {name}\n" not in existing]
    if missing:
        return [f"docs/CLI.md has no section for: {', '.join(f'toolkit {name}' for name in missing)}"]
    if existing != render():
        return ["docs/CLI.md is stale: a command's help changed"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.cli.reference", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only check; exit 1 when docs/CLI.md is stale.")
    arguments = parser.parse_args(argv)
    if arguments.check:
        found = problems(REFERENCE.read_text(encoding="utf-8") if REFERENCE.is_file() else "")
        for problem in found:
            print(f"{problem}: run `.venv/bin/python -m toolkit.cli.reference`", file=sys.stderr)
        return 1 if found else 0
    from toolkit.files import write_atomically

    write_atomically(REFERENCE, render())
    print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
