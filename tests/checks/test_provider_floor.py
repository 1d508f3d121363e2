"""Issue 13, defect 7: every module validates against the schema of its declared AWS provider floor.

Like terraform-aws-modules' CI (validate at the lowest and the newest supported versions), the modules are
validated against older provider schemas, extracted from the older `@cdktf/provider-aws` npm packages that
carry them (21.4.0 = provider 6.5.0, 21.0.0 = provider 6.0.0). The packages are fetched once (about 400 MB
each) into `.cache/npm-schemas/` by `toolkit.checks.schema_extract.install_package`, the same as
`python -m toolkit.checks.schema_extract aws --npm @cdktf/provider-aws@21.4.0 --output DIR/aws.json.gz`;
`toolkit check --validate` then runs at that floor with `TOOLKIT_STUB_SCHEMA_DIR=DIR` (DIR also holding the
bundled random.json.gz). Without npm or the registry the tests skip.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolkit.checks.schema_extract import PACKAGES, encode, extract, install_package, overlay_path
from toolkit.checks.validate import run_validate_check, validate_targets
from toolkit.provider_schema import DATA_DIR, SchemaError
from toolkit.stub_mirror import StubMirror, prepare_mirror

from .conftest import PROJECT_ROOT, TERRAFORM

# The @cdktf/provider-aws release carrying each provider release (its package.json `cdktf.provider.version`).
FLOOR_PACKAGES = {"6.5.0": "@cdktf/provider-aws@21.4.0", "6.0.0": "@cdktf/provider-aws@21.0.0"}


def _floor_mirror(tmp_path_factory: pytest.TempPathFactory, provider_version: str) -> StubMirror:
    """A stub mirror of its own serving that release's schema (the checkout's .toolkit/stub stays untouched)."""
    try:
        package = install_package(FLOOR_PACKAGES[provider_version], PROJECT_ROOT / ".cache")
    except SchemaError as error:
        pytest.skip(f"the provider {provider_version} schema package cannot be fetched: {error}")
    document, _ = extract(PACKAGES["aws"], package, overlay_path("aws"))
    assert document["toolkit"]["provider_version"] == provider_version
    folder = tmp_path_factory.mktemp(f"schema-{provider_version}")
    (folder / "aws.json.gz").write_bytes(encode(document))
    shutil.copy(DATA_DIR / "random.json.gz", folder / "random.json.gz")
    mirror = prepare_mirror(tmp_path_factory.mktemp(f"stub-{provider_version}"), schema_dir=folder)
    assert mirror.versions["aws"] == provider_version
    return mirror


@pytest.fixture(scope="module")
def floor_6_5(tmp_path_factory: pytest.TempPathFactory) -> StubMirror:
    return _floor_mirror(tmp_path_factory, "6.5.0")


@pytest.fixture(scope="module")
def floor_6_0(tmp_path_factory: pytest.TempPathFactory) -> StubMirror:
    return _floor_mirror(tmp_path_factory, "6.0.0")


def test_everything_validates_at_the_root_floor(floor_6_5: StubMirror) -> None:
    """terraform/ pins >= 6.5.0 (compute's floor): the root and every module example validate there."""
    result = run_validate_check(PROJECT_ROOT, mirror=floor_6_5)
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)
    assert result.counts["targets"] == len(validate_targets(PROJECT_ROOT))


def test_modules_at_6_0_validate_there_and_compute_refuses_it(floor_6_0: StubMirror) -> None:
    """Modules declaring >= 6.0.0 validate against 6.0.0; compute, what calls it (the root, the waf example's
    protected service, the monitoring example's watched one) refuse 6.0.0 by constraint."""
    result = run_validate_check(PROJECT_ROOT, mirror=floor_6_0)
    failing = sorted({finding.path.split(":")[0] for finding in result.errors})
    assert failing == ["modules/compute/examples/fargate-service", "modules/monitoring/examples/alarms-and-budget",
                       "modules/waf/examples/alb-protection", "terraform"], result.errors
    assert all("no available releases match the given constraints" in finding.message for finding in result.errors)


def test_compute_really_needs_its_floor(floor_6_0: StubMirror, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With its floor lowered to 6.0.0, compute fails on the ECS blue/green blocks that arrived in 6.4.0."""
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(TERRAFORM))
    copy = tmp_path / "project" / "modules" / "compute"
    # The example builds its own network (modules/network, floor 6.0.0).
    for module in ("compute", "network"):
        shutil.copytree(PROJECT_ROOT / "modules" / module, copy.parent / module,
                        ignore=shutil.ignore_patterns("tests", ".terraform*"))
    for versions in (copy / "versions.tf", copy / "examples" / "fargate-service" / "versions.tf"):
        text = versions.read_text()
        assert 'version = ">= 6.5.0"' in text
        versions.write_text(text.replace('version = ">= 6.5.0"', 'version = ">= 6.0.0"'))
    result = run_validate_check(tmp_path / "project", mirror=floor_6_0)
    messages = "\n".join(str(finding) for finding in result.errors)
    assert "deployment_configuration" in messages, messages
    assert "advanced_configuration" in messages, messages
