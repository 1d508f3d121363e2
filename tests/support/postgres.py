"""A real PostgreSQL server for the test session: initdb into a temp folder, listen on 127.0.0.1.

Fixtures:
- `postgres_server` (session): the running server; `.dsn(database)`, `.connect(database)`,
  `.create_database()`, `.drop_database(name)`, `.restart()`.
- `postgres_database` (function): a fresh, empty database on that server, dropped afterwards.

The server runs with fsync off (speed over durability: it lives as long as the session). initdb and
postgres refuse to run as root, so when the suite runs as root the server runs as the `postgres` user
(created by the Debian package; created here with useradd if missing) and its folder belongs to it.
Superuser `postgres` authenticates over TCP with a SCRAM password, so tests exercise real logins.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "test-Secret-p4ss"
SERVER_USER = "postgres"


def find_postgres_bin_dir() -> Path:
    """The folder holding initdb/pg_ctl: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0)
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found (initdb): run `bash scripts/setup.sh`")
    return candidates[-1].parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_account() -> str | None:
    """None when we may run the server ourselves; else the unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True, capture_output=True)
    return SERVER_USER


@dataclass
class PostgresServer:
    """One postgres process started for the session."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None
    host: str = "127.0.0.1"
    superuser: str = SUPERUSER
    password: str = SUPERUSER_PASSWORD
    _databases: set[str] = field(default_factory=set)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def _run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / arguments[0]), *arguments[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.base_dir)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(arguments)} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}\n{log}")
        return result

    def initialise(self) -> None:
        password_file = self.base_dir / "pwfile"
        password_file.write_text(self.password + "\n")
        self.socket_dir.mkdir()
        if self.run_as:
            account = pwd.getpwnam(self.run_as)
            for path in (self.base_dir, password_file, self.socket_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data_dir), "-U", self.superuser, f"--pwfile={password_file}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C",
                  "--no-sync")
        password_file.unlink()

    def start(self) -> None:
        options = " ".join([
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            f"-k {self.socket_dir}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=60",
        ])
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options, "-w", "-t", "60",
                  "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """Fast shutdown (terminates every session, as a failover or reboot would), then start again."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        self.start()

    def dsn(self, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        user = user or self.superuser
        password = self.password if password is None and user == self.superuser else password
        credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        return f"postgresql://{credentials}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):  # -> pg8000.native.Connection
        import pg8000.native

        return pg8000.native.Connection(user=self.superuser, password=self.password, host=self.host,
                                        port=self.port, database=database, application_name="pytest")

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        connection = self.connect()
        try:
            # FILE_COPY: with fsync off it is several times faster than PostgreSQL 15's default WAL_LOG.
            modern = int(connection.run("SHOW server_version_num")[0][0]) >= 150000
            strategy = " STRATEGY FILE_COPY" if modern else ""
            connection.run(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')
        finally:
            connection.close()
        self._databases.add(name)
        return name

    def drop_database(self, name: str) -> None:
        connection = self.connect()
        try:
            connection.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            connection.close()
        self._databases.discard(name)


@dataclass(frozen=True)
class PostgresDatabase:
    """A database created for one test."""

    server: PostgresServer
    name: str

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def connect(self):  # -> pg8000.native.Connection
        return self.server.connect(self.name)

    def query(self, sql: str, **params: object) -> list[list[object]]:
        """Run one statement on a short-lived connection and return its rows."""
        connection = self.connect()
        try:
            return connection.run(sql, **params) or []
        finally:
            connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    base_dir = Path(tempfile.mkdtemp(prefix="toolkit-pg-"))
    server = PostgresServer(bin_dir=find_postgres_bin_dir(), base_dir=base_dir, port=free_port(),
                            run_as=_server_account())
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        with contextlib.suppress(RuntimeError):
            server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    name = postgres_server.create_database()
    yield PostgresDatabase(postgres_server, name)
    postgres_server.drop_database(name)
