"""Build the programs named in toolkit/data/go_builds.json from the Go module proxy (make setup, step 7).

    python scripts/go_build.py tflint random terraform-1.5 tofu aws [--mirror .cache/providers]

For each name: reuse the cached build when its record and checksum hold (toolkit/go_builds.py), otherwise
`go mod download -json MODULE@VERSION`, copy the module into a writable folder (the module cache is
read-only, and terraform-provider-aws's `replace` directive makes `go install` refuse), `go build
-trimpath -ldflags "-s -w"`, and move the finished folder into place in one rename, its record last
written inside it: a build killed half way leaves only a `.tmp-*` folder, removed by the next run.
Providers are then linked into the filesystem mirror for both registry names (Terraform's and OpenTofu's).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from toolkit.go_builds import RECORD, GoBuild, go_build, sha256_of

HEARTBEAT_SECONDS = 30.0
BUDGET_VARIABLE = "TOOLKIT_GO_BUILD_BUDGET"  # seconds a set-up may spend building (CI bounds its run with it)


class OutOfTime(Exception):
    """The build did not finish within the budget: Go's build cache keeps what was compiled."""
HOSTNAMES = ("registry.terraform.io", "registry.opentofu.org")


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def _go_environment() -> dict[str, str]:
    # The machine's own Go only: a go.mod asking for a newer toolchain must fail, not download one.
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly -buildvcs=false"}


def _download(build: GoBuild) -> Path:
    result = subprocess.run(["go", "mod", "download", "-json", f"{build.module}@{build.version}"],
                            capture_output=True, text=True, env=_go_environment(), check=False)
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        answer = {}
    if result.returncode != 0 or answer.get("Error") or not answer.get("Dir"):
        reason = answer.get("Error") or result.stderr.strip() or f"exit {result.returncode}"
        raise SystemExit(f"go mod download {build.module}@{build.version} failed: {reason}")
    return Path(answer["Dir"])


def _writable_copy(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)
    for folder, _, files in os.walk(target):
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


def _compile(build: GoBuild, source: Path, output: Path, deadline: float | None) -> tuple[float, int]:
    """(seconds, peak resident KiB) of one go build."""
    flags = "-s -w" + (f" -X {build.version_variable}={build.release}" if build.version_variable else "")
    command = ["go", "build", "-v", "-trimpath", "-ldflags", flags, "-o", str(output), build.package]
    started = time.monotonic()
    compiled = 0
    tail: list[str] = []
    process = subprocess.Popen(command, cwd=source, env=_go_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            log(f"{build.name}: still building ({compiled} packages, {time.monotonic() - started:.0f}s)")

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    assert process.stdout is not None
    timer = None
    if deadline is not None:
        # The whole group: go build and the compile processes it started.
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), os.killpg, (process.pid, signal.SIGKILL))
        timer.daemon = True
        timer.start()
    for line in process.stdout:
        compiled += 1
        tail = [*tail[-30:], line.rstrip()]
    # wait4: this build's own peak (the go command and the compilers it waited for), not the largest child of
    # the whole set-up (RUSAGE_CHILDREN gave a tofu build the AWS provider's 9 GB).
    _, status, usage = os.wait4(process.pid, 0)
    code = process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    if timer is not None:
        timer.cancel()
    if deadline is not None and time.monotonic() >= deadline and code != 0:
        raise OutOfTime(f"{compiled} packages compiled in {time.monotonic() - started:.0f}s")
    if code != 0:
        raise SystemExit(f"go build of {build.module}@{build.version} failed (exit {code}):\n" + "\n".join(tail))
    return time.monotonic() - started, usage.ru_maxrss


def build_one(build: GoBuild, deadline: float | None = None) -> dict[str, object]:
    parent = build.folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    # Two set-ups at once (two clones, CI beside a developer) build once: the second waits here.
    with (parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(build, parent, deadline)


def _build_locked(build: GoBuild, parent: Path, deadline: float | None) -> dict[str, object]:
    record = build.record()
    if record is not None:
        log(f"{build.name} {build.release}: cached ({build.path}, built in {record.get('build_seconds')}s)")
        return record
    for stale in parent.glob(f".tmp-{build.version}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    log(f"{build.name} {build.release}: building {build.module}@{build.version} (once per machine; "
        "the AWS provider takes tens of minutes on 2 cores)")
    work = parent / f".tmp-{build.version}-{os.getpid()}"
    work.mkdir()
    try:
        source = _download(build)
        _writable_copy(source, work / "src")
        seconds, peak_kib = _compile(build, work / "src", work / build.binary, deadline)
        shutil.rmtree(work / "src")
        record = {
            "name": build.name, "module": build.module, "module_version": build.version, "release": build.release,
            "go": subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True,
                                 env=_go_environment(), check=False).stdout.strip(),
            "build_seconds": round(seconds), "peak_rss_mib": round(peak_kib / 1024),
            "sha256": sha256_of(work / build.binary), "size_bytes": (work / build.binary).stat().st_size,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
        }
        (work / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if build.folder.exists():
            shutil.rmtree(build.folder)  # a corrupt or partial build: the record above did not hold
        os.replace(work, build.folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"{build.name} {build.release}: built in {record['build_seconds']}s, peak {record['peak_rss_mib']} MiB "
        f"of one build process, {record['size_bytes'] // (1 << 20)} MiB")
    return record


def link_into_mirror(build: GoBuild, mirror: Path) -> None:
    for hostname in HOSTNAMES:
        target = build.mirror_path(mirror, hostname)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and target.stat().st_ino == build.path.stat().st_ino:
            continue
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            os.link(build.path, temporary)
        except OSError:  # another file system: a copy
            shutil.copy2(build.path, temporary)
        os.replace(temporary, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--mirror", type=Path, help="filesystem mirror to link the built providers into")
    arguments = parser.parse_args(argv)
    if shutil.which("go") is None:
        log(f"go not found: {', '.join(arguments.names)} not built (the stub path stays; toolkit check skips "
            "tflint, and --floor says what is missing)")
        return 0
    budget = os.environ.get(BUDGET_VARIABLE, "").strip()
    try:
        deadline = None if budget.lower() in ("", "none") else time.monotonic() + max(0.0, float(budget))
    except ValueError:
        raise SystemExit(f"{BUDGET_VARIABLE}={budget}: a number of seconds, or none for no limit") from None
    for name in arguments.names:
        build = go_build(name)
        try:
            build_one(build, deadline)
        except OutOfTime as stopped:
            log(f"{build.name}: not finished within {BUDGET_VARIABLE}={budget}s ({stopped}); Go's build cache keeps "
                "what was compiled and the next set-up continues from there. Until then the stub path stays.")
            continue
        if arguments.mirror is not None and build.provider is not None:
            link_into_mirror(build, arguments.mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
