"""Schema extraction from the npm jsii assembly, the version-keyed cache and the bundled fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolkit.checks import schema_extract
from toolkit.checks.schema import BUNDLED_SCHEMA, SchemaError, cache_file, load_provider_schema

from .conftest import CACHE_DIR

DOCS = "https://registry.terraform.io/providers/hashicorp/aws/6.66.0/docs/resources"
PREFIX = "@cdktn/provider-aws.widget"


def _argument(name: str, terraform_name: str, optional: bool = True, **type_ref: Any) -> dict[str, Any]:
    return {
        "name": name,
        "optional": optional,
        "docs": {
            "summary": f"Docs at Terraform Registry: {{@link {DOCS}/widget#{terraform_name} Widget#{terraform_name}}}."
        },
        "type": type_ref or {"primitive": "string"},
    }


def tiny_assembly(version: str) -> dict[str, Any]:
    """A two-type assembly shaped like @cdktn/provider-aws: aws_widget with a nested `rule` block."""
    rule_block = {
        "name": "rule",
        "optional": True,
        "docs": {
            "summary": "rule block.",
            "remarks": f"Docs at Terraform Registry: {{@link {DOCS}/widget#rule Widget#rule}}",
        },
        "type": {
            "union": {
                "types": [
                    {"fqn": "cdktn.IResolvable"},
                    {"collection": {"kind": "array", "elementtype": {"fqn": f"{PREFIX}.WidgetRule"}}},
                ]
            }
        },
    }
    return {
        "name": "@cdktn/provider-aws",
        "version": version,
        "types": {
            f"{PREFIX}.Widget": {
                "kind": "class",
                "base": "cdktn.TerraformResource",
                "docs": {"summary": f"Represents a {{@link {DOCS}/widget aws_widget}}."},
                # The config struct is found through the constructor, not by name (cdktn renames it on clashes).
                "initializer": {"parameters": [{"name": "config", "type": {"fqn": f"{PREFIX}.WidgetConfigA"}}]},
            },
            f"{PREFIX}.WidgetConfigA": {
                "kind": "interface",
                "datatype": True,
                # `forEachValue` would be a wrong camelCase→snake_case guess: the docs link names it.
                "properties": [
                    _argument("name", "name", optional=False),
                    _argument("forEachValue", "for_each_value"),
                    rule_block,
                ],
            },
            f"{PREFIX}.WidgetRule": {
                "kind": "interface",
                "datatype": True,
                "properties": [_argument("days", "days", optional=False, primitive="number")],
            },
        },
    }


def fake_npm_package(cache_dir: Path, version: str) -> Path:
    package_dir = schema_extract.default_package_dir(cache_dir)
    package_dir.mkdir(parents=True, exist_ok=True)
    (package_dir / "package.json").write_text(json.dumps({"name": "@cdktn/provider-aws", "version": version}))
    (package_dir / ".jsii").write_text(json.dumps(tiny_assembly(version)))
    return package_dir


def test_extraction_uses_the_docs_names_and_nests_blocks(tmp_path: Path) -> None:
    package_dir = fake_npm_package(tmp_path, "1.0.0")
    schema, stats = schema_extract.extract_schema(package_dir / ".jsii")
    assert schema["resource"] == {
        "aws_widget": {"a": {"name": 1, "for_each_value": 0}, "b": {"rule": [0, 0, {"a": {"days": 1}, "b": {}}]}}
    }
    assert schema["provider_version"] == "6.66.0"
    assert schema["package_version"] == "1.0.0"
    assert stats.arguments_named_by_guess == 0


def test_cache_is_built_once_per_package_version(tmp_path: Path) -> None:
    fake_npm_package(tmp_path, "1.0.0")
    first = load_provider_schema(tmp_path)
    assert first.extracted
    assert first.schema.source == str(cache_file(tmp_path, "1.0.0"))
    # A second load reads the cache even if the assembly disappears.
    (schema_extract.default_package_dir(tmp_path) / ".jsii").write_text("not json")
    second = load_provider_schema(tmp_path)
    assert not second.extracted
    assert second.schema.data == first.schema.data
    # A new package version gets its own cache file, built from the new assembly.
    fake_npm_package(tmp_path, "1.0.1")
    third = load_provider_schema(tmp_path)
    assert third.extracted
    assert third.schema.data["package_version"] == "1.0.1"
    assert sorted(path.name for path in (tmp_path / "schema").iterdir()) == [
        "cdktn-provider-aws-1.0.0.json.gz",
        "cdktn-provider-aws-1.0.1.json.gz",
    ]


def test_without_npm_the_bundled_schema_is_used(tmp_path: Path) -> None:
    load = load_provider_schema(tmp_path)
    assert load.schema.source == str(BUNDLED_SCHEMA)
    assert load.schema.provider_version == "6.66.0"
    assert not (tmp_path / "schema").exists()


def test_explicit_schema_file_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(tmp_path / "missing.json"))
    with pytest.raises(SchemaError) as raised:
        load_provider_schema(tmp_path)
    assert str(raised.value) == f"TOOLKIT_AWS_SCHEMA={tmp_path / 'missing.json'}: no such file"


@pytest.fixture(scope="session")
def real_extraction() -> tuple[dict[str, Any], schema_extract.ExtractionStats]:
    """The full 150 MB assembly, read once per session (~3 s, ~0.7 GB)."""
    assembly = schema_extract.assembly_path(schema_extract.default_package_dir(CACHE_DIR))
    if assembly is None:
        pytest.skip("npm @cdktn/provider-aws is not installed (scripts/setup.sh installs it)")
    return schema_extract.extract_schema(assembly)


@pytest.mark.slow
def test_real_assembly_has_the_expected_shape(real_extraction: tuple[dict[str, Any], Any]) -> None:
    schema, stats = real_extraction
    assert schema["provider_version"] == "6.66.0"
    assert stats.arguments_named_by_guess == 0
    assert stats.types["resource"] > 1500
    assert stats.types["data"] > 500
    replication_group = schema["resource"]["aws_elasticache_replication_group"]
    assert replication_group["a"]["description"] == 1
    assert replication_group["a"]["num_cache_clusters"] == 0
    scaling = schema["resource"]["aws_rds_cluster"]["b"]["serverlessv2_scaling_configuration"]
    assert scaling[:2] == [0, 1]
    assert scaling[2]["a"]["max_capacity"] == 1
    rule = schema["resource"]["aws_s3_bucket_lifecycle_configuration"]["b"]["rule"][2]
    assert rule["b"]["transition"][2]["a"]["storage_class"] == 1
    assert "principals" in schema["data"]["aws_iam_policy_document"]["b"]["statement"][2]["b"]
    # Its config struct is `Wafv2WebAclAssociationConfigA`: `...ConfigConfig` belongs to aws_wafv2_web_acl.
    assert schema["resource"]["aws_wafv2_web_acl_association"]["a"]["web_acl_arn"] == 1


@pytest.mark.slow
def test_bundled_schema_matches_the_installed_package(real_extraction: tuple[dict[str, Any], Any]) -> None:
    schema, _ = real_extraction
    bundled = json.loads(BUNDLED_SCHEMA.read_text(encoding="utf-8"))
    assert bundled == schema, "refresh it: .venv/bin/python -m toolkit.checks.schema_extract"
