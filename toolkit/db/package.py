"""`toolkit db package`: the Lambda zip with the runner, its pure-Python dependencies and the migrations.

The zip is deterministic (sorted entries, fixed timestamps and permissions, fixed compression level) so
its SHA-256 changes only when a file changes: Terraform's source_code_hash then redeploys only then.
boto3/botocore are not bundled: the Lambda Python runtime provides them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from toolkit.db.files import load_migrations
from toolkit.errors import MigrationError

RUNTIME_DISTRIBUTIONS = ("pg8000",)
PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3"})
TOOLKIT_MODULES = (
    "toolkit/__init__.py",
    "toolkit/duration.py",
    "toolkit/errors.py",
    "toolkit/secrets.py",
    "toolkit/db/__init__.py",
    "toolkit/db/connection.py",
    "toolkit/db/files.py",
    "toolkit/db/lambda_handler.py",
    "toolkit/db/masking.py",
    "toolkit/db/runner.py",
    "toolkit/db/splitter.py",
)
SKIPPED_METADATA = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
HANDLER = "toolkit.db.lambda_handler.handler"


@dataclass(frozen=True)
class PackageResult:
    path: Path
    sha256: str
    entries: int
    size: int
    migrations: int
    distributions: tuple[str, ...]
    handler: str = HANDLER

    @property
    def source_code_hash(self) -> str:
        """base64 SHA-256, the form Terraform's `source_code_hash` compares."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(roots: tuple[str, ...] = RUNTIME_DISTRIBUTIONS) -> list[metadata.Distribution]:
    """The installed distributions the runner needs at run time (extras excluded)."""
    seen: dict[str, metadata.Distribution] = {}
    queue: list[tuple[str, bool]] = [(name, False) for name in roots]
    while queue:
        raw_name, conditional = queue.pop()
        name = _normalise(raw_name)
        if name in seen or name in PROVIDED_BY_LAMBDA:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError as error:
            if conditional:  # behind an environment marker that does not apply here
                continue
            raise MigrationError(f"cannot package the runner: dependency {name} is not installed") from error
        seen[name] = distribution
        for requirement in distribution.requires or []:
            if re.search(r";.*\bextra\s*==", requirement):
                continue
            match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)", requirement)
            if match:
                queue.append((match.group(1), ";" in requirement))
    return [seen[name] for name in sorted(seen)]


def _distribution_files(distribution: metadata.Distribution) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for entry in distribution.files or []:
        parts = entry.parts
        if "__pycache__" in parts or entry.suffix == ".pyc" or parts[0] in ("..", "bin"):
            continue
        if parts[0].endswith(".dist-info") and entry.name in SKIPPED_METADATA:
            continue
        if entry.suffix in (".so", ".pyd", ".dylib"):
            raise MigrationError(f"cannot package the runner: {distribution.metadata['Name']} ships compiled "
                                 f"code ({entry}); the Lambda zip takes pure-Python dependencies only")
        located = Path(str(entry.locate()))
        if located.is_file():
            files[entry.as_posix()] = located
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so external_attr carries the permission bits
    info.external_attr = 0o100644 << 16
    archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def build_package(migrations_directory: Path, output: Path) -> PackageResult:
    """Write the zip to `output` (validating the migrations first) and return its hash."""
    migration_set = load_migrations(migrations_directory)
    toolkit_root = Path(__file__).resolve().parent.parent.parent
    contents: dict[str, bytes] = {}
    for module in TOOLKIT_MODULES:
        contents[module] = (toolkit_root / module).read_bytes()
    distributions = dependency_closure()
    for distribution in distributions:
        for name, path in _distribution_files(distribution).items():
            contents[name] = path.read_bytes()
    for path in sorted(migrations_directory.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            contents[f"migrations/{path.name}"] = path.read_bytes()
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(contents):
            _add(archive, name, contents[name])
    temporary.replace(output)
    data = output.read_bytes()
    return PackageResult(path=output, sha256=hashlib.sha256(data).hexdigest(), entries=len(contents),
                         size=len(data), migrations=len(migration_set.migrations),
                         distributions=tuple(f"{d.metadata['Name']}=={d.version}" for d in distributions))
