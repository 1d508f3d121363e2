"""Set-up's Go builds: a finished build is reused, a corrupt or half-finished one never counts as installed."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from toolkit import go_builds
from toolkit.go_builds import GoBuild

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain (polyglot machines)")


def load_builder():
    spec = importlib.util.spec_from_file_location("go_build_script", REPO / "scripts" / "go_build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tiny_module(folder: Path, body: str = 'fmt.Println("hello " + version)') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "go.mod").write_text("module example.com/tiny\n\ngo 1.21\n")
    source = f'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() {{ {body} }}\n'
    (folder / "main.go").write_text(source)
    return folder


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GoBuild:
    monkeypatch.setenv(go_builds.BUILD_CACHE_VARIABLE, str(tmp_path / "cache"))
    return GoBuild(name="tiny", module="example.com/tiny", version="v0.0.1", package=".", binary="tiny",
                   release="1.2.3", provider="example/tiny", version_variable="main.version", commit=None, note="")


def test_build_records_checksum_and_is_reused(build: GoBuild, tmp_path: Path, monkeypatch) -> None:
    builder = load_builder()
    source = tiny_module(tmp_path / "src")
    monkeypatch.setattr(builder, "_download", lambda _build: source)
    record = builder.build_one(build)
    assert build.record() == record and record["sha256"] == go_builds.sha256_of(build.path)
    import subprocess

    assert subprocess.run([str(build.path)], capture_output=True, text=True).stdout == "hello 1.2.3\n"
    monkeypatch.setattr(builder, "_download", lambda _build: pytest.fail("a cached build must not rebuild"))
    assert builder.build_one(build) == record


def test_corrupt_binary_is_detected_and_rebuilt(build: GoBuild, tmp_path: Path, monkeypatch) -> None:
    builder = load_builder()
    source = tiny_module(tmp_path / "src")
    monkeypatch.setattr(builder, "_download", lambda _build: source)
    builder.build_one(build)
    build.path.write_bytes(b"#!/bin/sh\necho tampered\n")
    assert build.record() is None
    rebuilt = builder.build_one(build)
    assert build.record() == rebuilt and rebuilt["sha256"] == go_builds.sha256_of(build.path)


def test_failed_build_leaves_nothing_that_looks_installed(build: GoBuild, tmp_path: Path, monkeypatch) -> None:
    builder = load_builder()
    broken = tiny_module(tmp_path / "broken", body="this is not go")
    monkeypatch.setattr(builder, "_download", lambda _build: broken)
    with pytest.raises(SystemExit, match=r"go build of example\.com/tiny@v0\.0\.1 failed"):
        builder.build_one(build)
    assert build.record() is None and not build.folder.exists()
    assert not list(build.folder.parent.glob(".tmp-*"))


def test_a_killed_build_is_cleaned_and_the_wrong_version_record_not_trusted(build: GoBuild, tmp_path, monkeypatch):
    builder = load_builder()
    leftover = build.folder.parent / f".tmp-{build.version}-99999"
    (leftover / "src").mkdir(parents=True)
    build.folder.mkdir(parents=True)
    (build.folder / "tiny").write_bytes(b"x")
    (build.folder / "build.json").write_text(json.dumps({"module_version": "v0.0.0", "sha256":
                                                          go_builds.sha256_of(build.folder / "tiny")}))
    assert build.record() is None  # another version's record
    source = tiny_module(tmp_path / "src")
    monkeypatch.setattr(builder, "_download", lambda _build: source)
    builder.build_one(build)
    assert build.record() is not None and not leftover.exists()


def test_providers_are_linked_into_the_mirror_for_both_engines(build: GoBuild, tmp_path: Path, monkeypatch) -> None:
    builder = load_builder()
    source = tiny_module(tmp_path / "src")
    monkeypatch.setattr(builder, "_download", lambda _build: source)
    builder.build_one(build)
    mirror = tmp_path / "mirror"
    builder.link_into_mirror(build, mirror)
    for hostname in ("registry.terraform.io", "registry.opentofu.org"):
        linked = mirror / hostname / "example" / "tiny" / "1.2.3" / "linux_amd64" / "tiny_v1.2.3"
        assert linked.read_bytes() == build.path.read_bytes()


def test_the_versions_have_one_home() -> None:
    aws = go_builds.go_build("aws")
    assert aws.release.startswith("6.") and aws.provider == "hashicorp/aws"
    assert go_builds.go_build("tofu").package == "./cmd/tofu"
    assert go_builds.go_build("random").release.startswith("3.")


def test_a_build_past_its_budget_stops_and_leaves_nothing_installed(build: GoBuild, tmp_path: Path, monkeypatch,
                                                                     capsys) -> None:
    builder = load_builder()
    source = tiny_module(tmp_path / "src")
    monkeypatch.setattr(builder, "_download", lambda _build: source)
    monkeypatch.setattr(builder, "go_build", lambda _name: build)
    monkeypatch.setenv(builder.BUDGET_VARIABLE, "0")
    assert builder.main(["tiny"]) == 0
    assert "not finished within TOOLKIT_GO_BUILD_BUDGET=0s" in capsys.readouterr().out
    assert build.record() is None and not build.folder.exists()
    assert not list(build.folder.parent.glob(".tmp-*"))
