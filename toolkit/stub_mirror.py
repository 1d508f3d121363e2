"""The offline stub providers (package `stub_provider/`) set up for Terraform: compiled schemas, a filesystem
mirror of launchers and a CLI config that installs hashicorp/aws and hashicorp/random from that mirror only.

Everything lives under the checkout's `.toolkit/stub/` (not the shared `.cache/`: the launchers point at
this checkout's Python and code):

    .toolkit/stub/
      schema/aws/, schema/random/     pre-serialized schema answers (stub_provider.schema.compile_schema)
      mirror/TOOLKIT_STUB_MIRROR      the marker every guard looks for
      mirror/registry.terraform.io/hashicorp/aws/6.66.0/linux_amd64/terraform-provider-aws_v6.66.0
      terraform.rc                    provider_installation { filesystem_mirror { path = mirror } } only
      stamp                           what the folder was built from (rebuilt when that changes)

The stub is only ever used in staged copies of the configuration (`stage_for_stub`), so terraform writes
its lock file there, never into a real root; the real plan/apply paths refuse this mirror and this CLI
config (`refuse_stub_config`, called by toolkit.engine.workspace).

Reuse: `mirror = prepare_mirror(project_root)`; run terraform with `mirror.environment(data_dir)` in a
folder made by `stage_for_stub(project_root, target, stage_dir)`.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit import provider_schema
from toolkit.errors import ConfigError, GuardError, ToolkitError

STUB_MARKER = "TOOLKIT_STUB_MIRROR"
PROVIDERS = ("aws", "random")
SCHEMA_DIR_VARIABLE = "TOOLKIT_STUB_SCHEMA_DIR"
PLATFORM = "linux_amd64"
HOSTNAME_NAMESPACE = "registry.terraform.io/hashicorp"
# OpenTofu reads `hashicorp/aws` as registry.opentofu.org/hashicorp/aws: the mirror serves both names.
OPENTOFU_NAMESPACE = "registry.opentofu.org/hashicorp"
_STUB_PACKAGE = Path(__file__).resolve().parents[1] / "stub_provider"
_REQUIRED_MODULES = ("grpc", "msgpack", "cryptography", "tf.gen")


class StubError(ToolkitError):
    """The stub provider cannot be set up (missing schema, missing Python packages)."""


@dataclass(frozen=True)
class StubMirror:
    """A prepared stub: where its mirror and CLI config are, and which provider versions it serves."""

    root: Path
    versions: dict[str, str]

    @property
    def mirror_dir(self) -> Path:
        return self.root / "mirror"

    @property
    def cli_config(self) -> Path:
        return self.root / "terraform.rc"

    def launcher(self, provider: str, namespace: str = HOSTNAME_NAMESPACE) -> Path:
        version = self.versions[provider]
        return (self.mirror_dir / namespace / provider / version / PLATFORM
                / f"terraform-provider-{provider}_v{version}")

    def environment(self, data_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for a terraform run against the stub: this CLI config only, no plugin cache,
        its own TF_DATA_DIR, no prompts; fake credentials so nothing could reach AWS even by mistake."""
        variables = dict(os.environ if base is None else base)
        # A user's TF_CLI_ARGS* would change the commands (and their -json output) behind the toolkit's back.
        for name in [*(key for key in variables if key.startswith("TF_CLI_ARGS")), "TF_PLUGIN_CACHE_DIR",
                     "TF_REATTACH_PROVIDERS", "TF_WORKSPACE"]:
            variables.pop(name, None)
        variables.update({
            "TF_CLI_CONFIG_FILE": str(self.cli_config), "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", "AWS_ACCESS_KEY_ID": "stub", "AWS_SECRET_ACCESS_KEY": "stub",
        })
        variables.pop("AWS_PROFILE", None)
        variables.pop("AWS_SESSION_TOKEN", None)
        return variables


def schema_sources(project_root: Path, schema_dir: Path | None = None) -> dict[str, Path]:
    """The provider schema file of each stub provider: `schema_dir`, $TOOLKIT_STUB_SCHEMA_DIR, or the bundled
    toolkit/data/provider_schemas/ (`<provider>.json.gz`, or `.json`)."""
    configured = os.environ.get(SCHEMA_DIR_VARIABLE)
    folder = schema_dir or (Path(configured) if configured else Path(__file__).resolve().parent / "data"
                            / "provider_schemas")
    sources: dict[str, Path] = {}
    for provider in PROVIDERS:
        candidates = [folder / f"{provider}.json.gz", folder / f"{provider}.json"]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise StubError(f"no schema for the {provider} stub provider: expected {candidates[0]} (the typed "
                            f"provider schema; set {SCHEMA_DIR_VARIABLE} to use another folder)")
        sources[provider] = found
    return sources


def _fingerprint(sources: dict[str, Path], command: list[str] | None) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"python": sys.executable, "command": command, "format": 1}).encode())
    for provider, path in sorted(sources.items()):
        digest.update(provider.encode() + path.read_bytes())
    for path in [Path(__file__), *sorted(_STUB_PACKAGE.glob("*.py"))]:  # the layout and the server code
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _check_python() -> None:
    missing = [name for name in _REQUIRED_MODULES if importlib.util.find_spec(name.split(".")[0]) is None]
    if missing:
        raise StubError(f"the stub provider needs the Python packages {', '.join(missing)} in {sys.executable}: "
                        "run `make setup` (pip install -e '.[dev]')")


def prepare_mirror(project_root: Path, *, schema_dir: Path | None = None,
                   command: list[str] | None = None) -> StubMirror:
    """Build (or reuse) `.toolkit/stub/` for this checkout; safe to call concurrently.

    `command` replaces the stub server in the launchers (tests use it to stand in a crashing or hanging
    provider); it is run with the provider name and compiled schema folder as its last two arguments."""
    sources = schema_sources(project_root, schema_dir)
    root = project_root / ".toolkit" / "stub"
    root.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(sources, command)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = root / "stamp"
        if stamp.is_file():
            recorded = json.loads(stamp.read_text())
            mirror = StubMirror(root, recorded["versions"])
            if recorded.get("fingerprint") == fingerprint and all(
                    mirror.launcher(provider).is_file() for provider in PROVIDERS):
                return mirror
        if command is None:
            _check_python()
        mirror = _build(root, sources, command)
        stamp.write_text(json.dumps({"fingerprint": fingerprint, "versions": mirror.versions}))
        return mirror


def _build(root: Path, sources: dict[str, Path], command: list[str] | None) -> StubMirror:
    from stub_provider.schema import compile_schema

    for folder in ("mirror", "schema"):
        shutil.rmtree(root / folder, ignore_errors=True)
    # Read through toolkit.provider_schema: a file that cannot be read is the toolkit's SchemaError.
    versions = {provider: compile_schema(provider, source, root / "schema" / provider,
                                         provider_schema.load(provider, source))
                for provider, source in sources.items()}
    mirror = StubMirror(root, versions)
    mirror.mirror_dir.mkdir(parents=True)
    (mirror.mirror_dir / STUB_MARKER).write_text(
        "Offline stub providers of the toolkit (stub_provider/): never for a real plan or apply.\n")
    for provider in PROVIDERS:
        for namespace in (HOSTNAME_NAMESPACE, OPENTOFU_NAMESPACE):
            launcher = mirror.launcher(provider, namespace)
            launcher.parent.mkdir(parents=True)
            launcher.write_text(_launcher_text(provider, versions[provider], root / "schema" / provider, command))
            launcher.chmod(0o755)
    mirror.cli_config.write_text(
        f"# {STUB_MARKER}: written by toolkit for offline runs against the stub providers only.\n"
        "disable_checkpoint = true\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror.mirror_dir}"\n'
        f"    include = [{', '.join(json.dumps(address) for address in _addresses())}]\n"
        "  }\n"
        "}\n")
    return mirror


def _addresses() -> list[str]:
    return [f"{namespace}/{provider}" for namespace in (HOSTNAME_NAMESPACE, OPENTOFU_NAMESPACE)
            for provider in PROVIDERS]


def _launcher_text(provider: str, version: str, schema: Path, command: list[str] | None) -> str:
    header = f"toolkit offline stub of hashicorp/{provider} {version} (stub_provider/, docs/CHECKS.md)"
    if command is not None:
        quoted = " ".join(json.dumps(part) for part in [*command, provider, str(schema)])
        return f"#!/bin/sh\n# {header}\nexec {quoted}\n"
    return (f"#!{sys.executable} -I\n# {header}\n"
            "import sys\n"
            f"sys.path.insert(0, {str(_STUB_PACKAGE.parent)!r})\n"
            "from stub_provider.server import serve\n"
            "from pathlib import Path\n"
            f"sys.exit(serve({provider!r}, Path({str(schema)!r})))\n")


def is_stub_mirror(path: Path) -> bool:
    return (path / STUB_MARKER).exists()


def refuse_stub_config(cli_config: Path | None, mirror: Path | None = None) -> None:
    """Guard for real plans and applies: the stub mirror or a CLI config pointing at it is an error."""
    if mirror is not None and is_stub_mirror(mirror):
        raise GuardError(f"{mirror} is the offline stub provider mirror: real plans and applies never use it "
                         "(unset TOOLKIT_PROVIDER_MIRROR or point it at a real provider mirror)")
    if cli_config is not None and cli_config.is_file():
        text = cli_config.read_text(encoding="utf-8", errors="replace")
        # Every quoted absolute path, whatever it is set to: `path = "…"` of a filesystem_mirror, `"path": "…"`
        # of a .tfrc.json, a dev_overrides folder deep inside the stub mirror.
        paths = [Path(path) for path in re.findall(r'"(/[^"\n]+)"', text)]
        if STUB_MARKER in text or any(is_stub_mirror(folder) for path in paths for folder in (path, *path.parents)):
            raise GuardError(f"TF_CLI_CONFIG_FILE={cli_config} installs the offline stub providers: real plans "
                             "and applies never use them (unset TF_CLI_CONFIG_FILE)")


# The time limit of one terraform run against the stub providers (validate, offline plans), in seconds.
TIMEOUT_VARIABLE = "TOOLKIT_VALIDATE_TIMEOUT"


DEFAULT_TIMEOUT_SECONDS = 300


def timeout_seconds(variable: str = TIMEOUT_VARIABLE, default: float = DEFAULT_TIMEOUT_SECONDS) -> float:
    configured = os.environ.get(variable)
    if not configured:
        return default
    try:
        value = float(configured)
    except ValueError:
        value = 0
    # nan compares false with everything and inf never ends: either would let a hanging stub hang forever.
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{variable}={configured}: expected a number of seconds greater than 0")
    return value
