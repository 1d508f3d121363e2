"""The typed provider schema: extraction from the cdktn npm package, the overlay, the bundled files, the loader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from stub_provider import schema_file
from toolkit import provider_schema
from toolkit.checks import schema_extract
from toolkit.checks.schema_extract import (
    PACKAGES,
    SchemaError,
    contains_dynamic,
    encode,
    extract,
    output_path,
    overlay_path,
)

from .conftest import CACHE_DIR

# --------------------------------------------------------------------------------- a tiny package, by hand

# The shapes below are copied from the generated lib/*/index.js of @cdktn/provider-aws 25.7.0 (db-instance,
# security-group, lexv2models-bot-version): one attribute comment + getter per attribute, `new XList(...)` /
# `new XOutputReference(...)` for nested objects, and the HCL storage types of the arguments.
WIDGET_JS = """\
"use strict";
const cdktn = __importStar(require("cdktn"));
function widgetEndpointToHclTerraform(struct) {
    const attrs = {};
    return attrs;
}
class WidgetEndpointOutputReference extends cdktn.ComplexObject {
    // address - computed: true, optional: false, required: false
    get address() {
        return this.getStringAttribute('address');
    }
    // port - computed: true, optional: false, required: false
    get port() {
        return this.getNumberAttribute('port');
    }
}
exports.WidgetEndpointOutputReference = WidgetEndpointOutputReference;
class WidgetEndpointList extends cdktn.ComplexList {
}
function widgetRuleTransitionToHclTerraform(struct) {
    const attrs = {
        days: {
            value: cdktn.numberToHclTerraform(struct.days),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
        storage_class: {
            value: cdktn.stringToHclTerraform(struct.storageClass),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return attrs;
}
class WidgetRuleTransitionOutputReference extends cdktn.ComplexObject {
    // days - computed: false, optional: true, required: false
    _days;
    get days() {
        return this.getNumberAttribute('days');
    }
    // storage_class - computed: false, optional: false, required: true
    _storageClass;
    get storageClass() {
        return this.getStringAttribute('storage_class');
    }
}
function widgetRuleToHclTerraform(struct) {
    const attrs = {
        id: {
            value: cdktn.stringToHclTerraform(struct.id),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
        transition: {
            value: cdktn.listMapperHcl(widgetRuleTransitionToHclTerraform, true)(struct.transition),
            isBlock: true,
            type: "set",
            storageClassType: "WidgetRuleTransitionList",
        },
    };
    return attrs;
}
class WidgetRuleOutputReference extends cdktn.ComplexObject {
    // id - computed: false, optional: false, required: true
    _id;
    get id() {
        return this.getStringAttribute('id');
    }
    // transition - computed: false, optional: true, required: false
    _transition = new WidgetRuleTransitionList(this, "transition", true);
    get transition() {
        return this._transition;
    }
}
function widgetIngressToHclTerraform(struct) {
    const attrs = {
        cidr_blocks: {
            value: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(struct.cidrBlocks),
            isBlock: false,
            type: "list",
            storageClassType: "stringList",
        },
    };
    return attrs;
}
class WidgetIngressOutputReference extends cdktn.ComplexObject {
    // cidr_blocks - computed: true, optional: true, required: false
    _cidrBlocks;
    get cidrBlocks() {
        return this.getListAttribute('cidr_blocks');
    }
}
function widgetTimeoutsToHclTerraform(struct) {
    const attrs = {
        create: {
            value: cdktn.stringToHclTerraform(struct.create),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return attrs;
}
class WidgetTimeoutsOutputReference extends cdktn.ComplexObject {
    // create - computed: false, optional: true, required: false
    _create;
    get create() {
        return this.getStringAttribute('create');
    }
}
class Widget extends cdktn.TerraformResource {
    static tfResourceType = "aws_widget";
    constructor(scope, id, config) {
        super(scope, id, {
            terraformResourceType: 'aws_widget',
            terraformGeneratorMetadata: {
                providerName: 'aws',
                providerVersion: '6.66.0',
                providerVersionConstraint: '~> 6.0'
            },
        });
    }
    // arn - computed: true, optional: false, required: false
    get arn() {
        return this.getStringAttribute('arn');
    }
    // endpoint - computed: true, optional: false, required: false
    _endpoint = new WidgetEndpointList(this, "endpoint", false);
    get endpoint() {
        return this._endpoint;
    }
    // id - computed: true, optional: true, required: false
    _id;
    get id() {
        return this.getStringAttribute('id');
    }
    // ingress - computed: true, optional: true, required: false
    _ingress = new WidgetIngressList(this, "ingress", true);
    get ingress() {
        return this._ingress;
    }
    // matching - computed: false, optional: true, required: false
    _matching;
    get matching() {
        return cdktn.Token.asAny(cdktn.Fn.tolist(this.interpolationForAttribute('matching')));
    }
    // name - computed: false, optional: false, required: true
    _name;
    get name() {
        return this.getStringAttribute('name');
    }
    // password_wo - computed: false, optional: true, required: false
    _passwordWo;
    /**
    * @deprecated Write-only: the provider never returns this value; reading it always yields null by protocol contract.
    */
    get passwordWo() {
        return this.getStringAttribute('password_wo');
    }
    // rule - computed: false, optional: false, required: true
    _rule = new WidgetRuleOutputReference(this, "rule");
    get rule() {
        return this._rule;
    }
    // statement - computed: false, optional: true, required: false
    _statement;
    get statement() {
        return this.interpolationForAttribute('statement');
    }
    // subnet_ids - computed: false, optional: true, required: false
    _subnetIds;
    get subnetIds() {
        return cdktn.Fn.tolist(this.getListAttribute('subnet_ids'));
    }
    // tags_all - computed: true, optional: true, required: false
    _tagsAll;
    get tagsAll() {
        return this.getStringMapAttribute('tags_all');
    }
    // timeouts - computed: false, optional: true, required: false
    _timeouts = new WidgetTimeoutsOutputReference(this, "timeouts");
    get timeouts() {
        return this._timeouts;
    }
    synthesizeHclAttributes() {
        const attrs = {
            id: {
                value: cdktn.stringToHclTerraform(this._id),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            ingress: {
                value: cdktn.listMapperHcl(widgetIngressToHclTerraform, false)(this._ingress.internalValue),
                isBlock: true,
                type: "set",
                storageClassType: "WidgetIngressList",
            },
            matching: {
                value: cdktn.listMapperHcl(cdktn.listMapperHcl(cdktn.stringToHclTerraform), false)(this._matching),
                isBlock: false,
                type: "set",
                storageClassType: "stringListList",
            },
            name: {
                value: cdktn.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            password_wo: {
                value: cdktn.stringToHclTerraform(this._passwordWo),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            rule: {
                value: widgetRuleToHclTerraform(this._rule.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "WidgetRuleList",
            },
            statement: {
                value: cdktn.anyToHclTerraform(this._statement),
                isBlock: false,
                type: "simple",
                storageClassType: "any",
            },
            subnet_ids: {
                value: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(this._subnetIds),
                isBlock: false,
                type: "set",
                storageClassType: "stringList",
            },
            tags_all: {
                value: cdktn.hashMapperHcl(cdktn.stringToHclTerraform)(this._tagsAll),
                isBlock: false,
                type: "map",
                storageClassType: "stringMap",
            },
            timeouts: {
                value: widgetTimeoutsToHclTerraform(this._timeouts.internalValue),
                isBlock: true,
                type: "struct",
                storageClassType: "WidgetTimeouts",
            },
        };
        return attrs;
    }
}
exports.Widget = Widget;
"""

PROVIDER_JS = """\
function awsProviderDefaultTagsToHclTerraform(struct) {
    const attrs = {
        tags: {
            value: cdktn.hashMapperHcl(cdktn.stringToHclTerraform)(struct.tags),
            isBlock: false,
            type: "map",
            storageClassType: "stringMap",
        },
    };
    return attrs;
}
class AwsProvider extends cdktn.TerraformProvider {
    static tfResourceType = "aws";
    // alias - computed: false, optional: true, required: false
    _alias;
    get alias() {
        return this._alias;
    }
    // region - computed: false, optional: true, required: false
    _region;
    get region() {
        return this._region;
    }
    // default_tags - computed: false, optional: true, required: false
    _defaultTags;
    get defaultTags() {
        return this._defaultTags;
    }
    synthesizeHclAttributes() {
        const attrs = {
            region: {
                value: cdktn.stringToHclTerraform(this._region),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            default_tags: {
                value: cdktn.listMapperHcl(awsProviderDefaultTagsToHclTerraform, true)(this._defaultTags),
                isBlock: true,
                type: "list",
                storageClassType: "AwsProviderDefaultTagsList",
            },
            alias: {
                value: cdktn.stringToHclTerraform(this._alias),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
        };
        return attrs;
    }
}
"""
PROVIDER_DTS = """\
export interface AwsProviderDefaultTags {
    readonly tags?: {
        [key: string]: string;
    };
}
"""


def fake_package(root: Path, version: str = "1.2.3") -> Path:
    package_dir = root / "node_modules" / "@cdktn" / "provider-aws"
    (package_dir / "lib" / "widget").mkdir(parents=True)
    (package_dir / "lib" / "provider").mkdir(parents=True)
    (package_dir / "package.json").write_text(json.dumps({"name": "@cdktn/provider-aws", "version": version}))
    (package_dir / "lib" / "widget" / "index.js").write_text(WIDGET_JS)
    (package_dir / "lib" / "provider" / "index.js").write_text(PROVIDER_JS)
    (package_dir / "lib" / "provider" / "index.d.ts").write_text(PROVIDER_DTS)
    return package_dir


def test_extraction_types_flags_and_nesting(tmp_path: Path) -> None:
    document, stats = extract(PACKAGES["aws"], fake_package(tmp_path))
    assert document["format_version"] == "1.0"
    assert document["toolkit"] == {
        "package": "@cdktn/provider-aws",
        "package_version": "1.2.3",
        "provider_version": "6.66.0",
    }
    aws = document["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    assert aws["provider"] == {
        "version": 0,
        "block": {
            # `alias` is a meta-argument cdktn adds to every provider class, not part of the schema.
            "attributes": {"region": {"type": "string", "optional": True}},
            "block_types": {
                "default_tags": {
                    "nesting_mode": "list",
                    "block": {"attributes": {"tags": {"type": ["map", "string"], "optional": True}}},
                }
            },
        },
    }
    widget = aws["resource_schemas"]["aws_widget"]
    assert widget["version"] == 0
    assert widget["block"] == {
        "attributes": {
            "arn": {"type": "string", "computed": True},
            # Computed-only nested objects are attributes, as Terraform's SDK reports them.
            "endpoint": {
                "type": ["list", ["object", {"address": "string", "port": "number"}]],
                "computed": True,
            },
            "id": {"type": "string", "optional": True, "computed": True},
            # Blocks cannot be computed: a configurable nested object flagged computed is an attribute.
            "ingress": {
                "type": ["set", ["object", {"cidr_blocks": ["list", "string"]}]],
                "optional": True,
                "computed": True,
            },
            # The getter says `any`; the storage type is exact.
            "matching": {"type": ["set", ["list", "string"]], "optional": True},
            "name": {"type": "string", "required": True},
            "password_wo": {"type": "string", "optional": True, "write_only": True},
            "statement": {"type": "dynamic", "optional": True},
            "subnet_ids": {"type": ["set", "string"], "optional": True},
            "tags_all": {"type": ["map", "string"], "optional": True, "computed": True},
        },
        "block_types": {
            "rule": {
                "nesting_mode": "list",
                "min_items": 1,
                "max_items": 1,
                "block": {
                    "attributes": {"id": {"type": "string", "required": True}},
                    "block_types": {
                        "transition": {
                            "nesting_mode": "set",
                            "block": {
                                "attributes": {
                                    "days": {"type": "number", "optional": True},
                                    "storage_class": {"type": "string", "required": True},
                                }
                            },
                        }
                    },
                },
            },
            "timeouts": {
                "nesting_mode": "single",
                "block": {"attributes": {"create": {"type": "string", "optional": True}}},
            },
        },
    }
    assert stats.untyped == ["aws_widget.statement"]
    assert stats.counts == {"resource_schemas": 1, "data_source_schemas": 0, "ephemeral_resource_schemas": 0}


def test_overlay_types_any_and_adds_sensitive(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        """\
entries:
  - kind: resource
    type: aws_widget
    path: statement
    block:
      nesting_mode: list
      min_items: 1
      max_items: 1
      block: {attributes: {limit: {type: number, required: true}}}
  - {kind: resource, type: aws_widget, path: name, attribute: {sensitive: true}}
  - {kind: provider, path: default_tags, block_spec: {max_items: 1}}
"""
    )
    document, stats = extract(PACKAGES["aws"], fake_package(tmp_path), overlay)
    aws = document["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    block = aws["resource_schemas"]["aws_widget"]["block"]
    assert "statement" not in block["attributes"]
    assert block["block_types"]["statement"]["max_items"] == 1
    assert block["attributes"]["name"] == {"type": "string", "required": True, "sensitive": True}
    assert aws["provider"]["block"]["block_types"]["default_tags"]["max_items"] == 1
    assert stats.untyped == []
    assert len(stats.overlaid) == 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{kind: resource, type: aws_widget, path: nmae, attribute: {sensitive: true}}",
            "overlay: resource aws_widget nmae: no such attribute in the package",
        ),
        (
            "{kind: resource, type: aws_widget, path: name, block: {nesting_mode: list, block: {}}}",
            "overlay: resource aws_widget name: not an `any` attribute in the package",
        ),
        (
            "{kind: resource, type: aws_gadget, path: name, attribute: {sensitive: true}}",
            "overlay: resource aws_gadget is not in the package",
        ),
        (
            "{kind: resource, type: aws_widget, path: rule.nope.days, attribute: {sensitive: true}}",
            "overlay: resource aws_widget: no block 'nope' on the way to rule.nope.days",
        ),
        (
            "{kind: resource, type: aws_widget, path: name}",
            "overlay: resource aws_widget name: needs `block`, `attribute`, `block_spec` or `keep_dynamic`",
        ),
    ],
)
def test_overlay_entry_that_does_not_fit_the_package_is_an_error(tmp_path: Path, entry: str, message: str) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(f"entries:\n  - {entry}\n")
    with pytest.raises(SchemaError) as raised:
        extract(PACKAGES["aws"], fake_package(tmp_path), overlay)
    assert str(raised.value) == message


def test_unknown_getter_shape_is_an_error_naming_the_attribute(tmp_path: Path) -> None:
    package_dir = fake_package(tmp_path)
    script = package_dir / "lib" / "widget" / "index.js"
    script.write_text(script.read_text().replace("this.getStringAttribute('arn')", "this.getFancyAttribute('arn')"))
    with pytest.raises(SchemaError) as raised:
        extract(PACKAGES["aws"], package_dir)
    assert str(raised.value) == (
        f"{package_dir / 'lib' / 'widget'}: aws_widget.arn: cannot type getter 'this.getFancyAttribute()'"
    )


def test_missing_package_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as raised:
        extract(PACKAGES["aws"], tmp_path / "nowhere")
    assert str(raised.value) == (
        f"no @cdktn/provider-aws package at {tmp_path / 'nowhere'}: run scripts/setup.sh (make setup)"
    )


def test_command_writes_deterministic_gzip_for_another_package_version(tmp_path: Path) -> None:
    """Parameterised by package folder and version (older provider 6.x packages), gzip bytes stable."""
    package_dir = fake_package(tmp_path, "20.0.0")
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert schema_extract.main(["aws", "--package-dir", str(package_dir), "--output", str(first)]) == 0
    assert schema_extract.main(["aws", "--package-dir", str(package_dir), "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    raw = first.read_bytes()
    assert raw[4:8] == b"\0\0\0\0", "gzip mtime must be 0"
    document = json.loads(gzip.decompress(raw))
    assert document["toolkit"]["package_version"] == "20.0.0"
    text = gzip.decompress(raw).decode()
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"))


def test_command_without_package_fails_with_the_setup_hint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert schema_extract.main(["aws", "--package-dir", str(tmp_path), "--output", str(tmp_path / "x.gz")]) == 1
    assert capsys.readouterr().err == (
        f"Error: no @cdktn/provider-aws package at {tmp_path}: run scripts/setup.sh (make setup)\n"
    )
    assert not (tmp_path / "x.gz").exists()


# --------------------------------------------------------------------------------- the real packages


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_reextraction_gives_the_bundled_bytes(name: str) -> None:
    """Deterministic and up to date: a fresh extraction of the installed package is byte-identical."""
    package = PACKAGES[name]
    package_dir = package.directory(CACHE_DIR)
    if schema_extract.package_version(package_dir) is None:
        pytest.skip(f"npm {package.package} is not installed (scripts/setup.sh installs it)")
    document, stats = extract(package, package_dir, overlay_path(name))
    fresh = encode(document)
    assert fresh == encode(extract(package, package_dir, overlay_path(name))[0]), "extraction is not deterministic"
    assert fresh == output_path(name).read_bytes(), (
        f"refresh it: .venv/bin/python -m toolkit.checks.schema_extract {name}"
    )
    assert stats.untyped == [], "every `any` attribute needs an overlay entry"


# --------------------------------------------------------------------------------- facts of the real provider


@pytest.fixture(scope="module")
def aws() -> provider_schema.ProviderSchema:
    return provider_schema.load("aws", provider_schema.bundled_path("aws"))


def attribute(schema: provider_schema.ProviderSchema, kind: str, type_name: str, path: str) -> dict[str, Any]:
    block = schema.block(kind, type_name)
    assert block is not None, f"{kind} {type_name} missing"
    *parents, name = path.split(".")
    for parent in parents:
        block = block["block_types"][parent]["block"]
    return block["attributes"][name]


def nested(schema: provider_schema.ProviderSchema, kind: str, type_name: str, path: str) -> dict[str, Any]:
    block = schema.block(kind, type_name)
    assert block is not None, f"{kind} {type_name} missing"
    spec: dict[str, Any] = {"block": block}
    for name in path.split("."):
        spec = spec["block"]["block_types"][name]
    return spec


def test_bundled_aws_schema_header(aws: provider_schema.ProviderSchema) -> None:
    assert aws.address == "registry.terraform.io/hashicorp/aws"
    assert aws.info == schema_file.SchemaInfo("@cdktn/provider-aws", "25.7.0", "6.66.0")
    assert len(aws.names("resource")) > 1500
    assert len(aws.names("data")) > 600
    assert aws.document()["format_version"] == "1.0"


def test_known_facts_of_aws_provider_6(aws: provider_schema.ProviderSchema) -> None:
    assert attribute(aws, "resource", "aws_db_instance", "arn") == {"type": "string", "computed": True}
    assert attribute(aws, "resource", "aws_db_instance", "instance_class") == {"type": "string", "required": True}
    assert attribute(aws, "resource", "aws_db_instance", "id") == {
        "type": "string", "optional": True, "computed": True
    }
    assert attribute(aws, "resource", "aws_db_instance", "password")["sensitive"] is True
    assert attribute(aws, "resource", "aws_db_instance", "password_wo")["write_only"] is True
    assert attribute(aws, "resource", "aws_lb", "dns_name") == {"type": "string", "computed": True}
    assert nested(aws, "resource", "aws_ecs_service", "deployment_circuit_breaker") == {
        "nesting_mode": "list",
        "max_items": 1,
        "block": {
            "attributes": {
                "enable": {"type": "bool", "required": True},
                "rollback": {"type": "bool", "required": True},
            }
        },
    }
    rule = nested(aws, "resource", "aws_s3_bucket_lifecycle_configuration", "rule")
    assert rule["nesting_mode"] == "list"
    assert rule["block"]["block_types"]["transition"]["nesting_mode"] == "set"
    assert attribute(aws, "data", "aws_iam_policy_document", "json") == {"type": "string", "computed": True}
    assert nested(aws, "data", "aws_iam_policy_document", "statement")["nesting_mode"] == "list"
    assert attribute(aws, "resource", "aws_s3_bucket", "tags") == {"type": ["map", "string"], "optional": True}
    tags_all = attribute(aws, "resource", "aws_s3_bucket", "tags_all")
    assert tags_all["type"] == ["map", "string"] and tags_all["computed"] is True
    assert attribute(aws, "resource", "aws_security_group", "ingress")["type"][0] == "set"
    assert nested(aws, "resource", "aws_db_instance", "timeouts")["nesting_mode"] == "single"


def test_wafv2_statement_comes_from_the_overlay(aws: provider_schema.ProviderSchema) -> None:
    rule = nested(aws, "resource", "aws_wafv2_web_acl", "rule")
    assert rule["nesting_mode"] == "set"
    statement = rule["block"]["block_types"]["statement"]
    assert {key: value for key, value in statement.items() if key != "block"} == {
        "nesting_mode": "list", "min_items": 1, "max_items": 1
    }
    statements = statement["block"]["block_types"]
    assert set(statements) >= {
        "rate_based_statement", "managed_rule_group_statement", "geo_match_statement", "and_statement",
        "sqli_match_statement", "xss_match_statement", "not_statement",
    }
    assert statements["rate_based_statement"]["block"]["attributes"]["limit"] == {"type": "number", "required": True}
    managed = statements["managed_rule_group_statement"]["block"]
    assert managed["attributes"]["vendor_name"] == {"type": "string", "required": True}
    assert "aws_managed_rules_bot_control_rule_set" in managed["block_types"]["managed_rule_group_configs"]["block"][
        "block_types"
    ]
    # Three levels of and/or/not, as the provider builds them; the innermost level holds leaf statements only.
    level = statements["and_statement"]
    for _ in range(2):
        level = level["block"]["block_types"]["statement"]["block"]["block_types"]["and_statement"]
    assert "and_statement" not in level["block"]["block_types"]["statement"]["block"]["block_types"]
    xss = statements["xss_match_statement"]["block"]["block_types"]
    assert xss["text_transformation"]["nesting_mode"] == "set"
    group = nested(aws, "resource", "aws_wafv2_rule_group", "rule.statement")
    assert "managed_rule_group_statement" not in group["block"]["block_types"]


def test_only_quicksight_definitions_stay_untyped(aws: provider_schema.ProviderSchema) -> None:
    def dynamic_paths(block: dict[str, Any], where: str) -> list[str]:
        attributes = block.get("attributes", {})
        found = [f"{where}.{name}" for name, spec in attributes.items() if contains_dynamic(spec["type"])]
        for name, spec in block.get("block_types", {}).items():
            found.extend(dynamic_paths(spec["block"], f"{where}.{name}"))
        return found

    entry = aws.document()["provider_schemas"][aws.address]
    paths: list[str] = []
    for section in schema_file.SECTIONS.values():
        for type_name, type_schema in entry[section].items():
            paths.extend(dynamic_paths(type_schema["block"], type_name))
    assert sorted(paths) == [
        "aws_quicksight_analysis.definition",
        "aws_quicksight_analysis.definition",
        "aws_quicksight_dashboard.definition",
        "aws_quicksight_template.definition",
    ]


def test_every_attribute_has_one_valid_flag_combination(aws: provider_schema.ProviderSchema) -> None:
    allowed = [{"required"}, {"optional"}, {"computed"}, {"optional", "computed"}]
    bad: list[str] = []

    def walk(block: dict[str, Any], where: str) -> None:
        for name, spec in block.get("attributes", {}).items():
            flags = {flag for flag in ("required", "optional", "computed") if spec.get(flag)}
            if flags not in allowed or any(value is not True for key, value in spec.items() if key != "type"):
                bad.append(f"{where}.{name}: {spec}")
        for name, nested_spec in block.get("block_types", {}).items():
            assert nested_spec["nesting_mode"] in ("list", "set", "single"), f"{where}.{name}"
            walk(nested_spec["block"], f"{where}.{name}")

    entry = aws.document()["provider_schemas"][aws.address]
    walk(entry["provider"]["block"], "provider")
    for section in schema_file.SECTIONS.values():
        for type_name, type_schema in entry[section].items():
            walk(type_schema["block"], type_name)
    assert bad == []


def test_random_schema(aws: provider_schema.ProviderSchema) -> None:
    random = provider_schema.load("random", provider_schema.bundled_path("random"))
    assert random.address == "registry.terraform.io/hashicorp/random"
    assert random.info.package_version == "15.0.1"
    password = random.resource("random_password")
    assert password is not None
    assert password["attributes"]["result"] == {"type": "string", "computed": True, "sensitive": True}
    assert password["attributes"]["length"] == {"type": "number", "required": True}
    assert random.resource("random_string")["attributes"]["result"] == {"type": "string", "computed": True}


# --------------------------------------------------------------------------------- the loader


def test_lazy_lookup_equals_the_full_document() -> None:
    """Every bundled type decoded alone is what the full decode has (so the per-type fast path is safe)."""
    for name in sorted(PACKAGES):
        path = provider_schema.bundled_path(name)
        full = provider_schema.load(name, path)
        entry = full.document()["provider_schemas"][full.address]
        # A fresh, never fully decoded instance: every lookup goes through the per-type path.
        text = gzip.decompress(path.read_bytes()).decode()
        lazy = provider_schema.ProviderSchema(name, text, path)
        for kind, section in schema_file.SECTIONS.items():
            for type_name, type_schema in entry[section].items():
                assert lazy.type_schema(kind, type_name) == type_schema, type_name
            assert lazy.type_schema(kind, "aws_does_not_exist") is None
        assert lazy._document is None, "a lookup decoded the whole document"


def test_a_foreign_providers_schema_file_is_read_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$TOOLKIT_AWS_SCHEMA may be a real `terraform providers schema -json` (indented, other key order)."""
    document = {
        "format_version": "1.0",
        "provider_schemas": {
            "registry.terraform.io/hashicorp/aws": {
                "provider": {"version": 0, "block": {}},
                "resource_schemas": {
                    "aws_widget": {
                        "version": 1,
                        "block": {"attributes": {"name": {"type": "string", "required": True}}},
                    }
                },
                "data_source_schemas": {},
            }
        },
    }
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(document, indent=2))
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(path))
    schema = provider_schema.load("aws")
    assert schema.path == path
    assert schema.type_schema("resource", "aws_widget") == {
        "version": 1, "block": {"attributes": {"name": {"type": "string", "required": True}}}
    }
    assert schema.data_source("aws_widget") is None
    assert schema.ephemeral("aws_widget") is None
    assert schema.provider_version == "unknown"
    # The `toolkit` key of an indented file is found too (the stub names the provider version from it).
    document["toolkit"] = {"package": "x", "package_version": "1.0.0", "provider_version": "6.1.0"}
    indented = tmp_path / "indented.json"
    indented.write_text(json.dumps(document, indent=2))
    assert provider_schema.load("aws", indented).provider_version == "6.1.0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08garbage", "cannot read the provider schema {path}: "),
        (b'{"format_version": "1.0"}', "{path}: not a `terraform providers schema -json` document"),
        (
            b'{"provider_schemas": {"x/hashicorp/random": {}, "y/hashicorp/google": {}}}',
            "{path}: expected the schema of provider 'aws', found x/hashicorp/random, y/hashicorp/google",
        ),
    ],
)
def test_unreadable_schema_file_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "schema.json.gz"
    path.write_bytes(content)
    with pytest.raises(provider_schema.SchemaError) as raised:
        provider_schema.load("aws", path)
    assert str(raised.value).startswith(message.format(path=path))


def test_explicit_schema_file_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(tmp_path / "missing.json"))
    with pytest.raises(provider_schema.SchemaError) as raised:
        provider_schema.load("aws")
    assert str(raised.value) == f"TOOLKIT_AWS_SCHEMA={tmp_path / 'missing.json'}: no such file"


def test_unknown_provider_names_the_bundled_ones() -> None:
    with pytest.raises(provider_schema.SchemaError) as raised:
        provider_schema.load("azurerm")
    assert str(raised.value) == "no bundled schema for provider 'azurerm' (have: aws, random)"


def test_unknown_kind_is_a_programming_error(aws: provider_schema.ProviderSchema) -> None:
    with pytest.raises(ValueError):
        aws.block("resources", "aws_db_instance")


def test_another_package_version_skips_overlay_entries_that_do_not_fit(tmp_path: Path, capsys) -> None:
    """The real overlay names aws_wafv2_web_acl, which the tiny package lacks: skipped, not fatal, for a
    package other than the set-up one; and the bundled file is never overwritten by such a run."""
    package_dir = fake_package(tmp_path, "19.0.0")
    target = tmp_path / "old.json.gz"
    assert schema_extract.main(["aws", "--package-dir", str(package_dir), "--output", str(target)]) == 0
    out = capsys.readouterr().out
    assert "overlay entry skipped: overlay: resource aws_wafv2_web_acl is not in the package" in out
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(SystemExit):
        schema_extract.main(["aws", "--package-dir", str(package_dir)])
    assert "--package-dir/--npm need --output" in capsys.readouterr().err


def test_failed_reextraction_leaves_the_bundled_files_untouched(tmp_path: Path, capsys) -> None:
    """`make schema` on a machine without the npm packages: a clear error, the shipped schemas unchanged."""
    before = {name: output_path(name).read_bytes() for name in PACKAGES}
    assert schema_extract.main(["--cache-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: no @cdktn/provider-")
    assert err.rstrip().endswith("run scripts/setup.sh (make setup)")
    assert {name: output_path(name).read_bytes() for name in PACKAGES} == before
    assert not list(output_path("aws").parent.glob(".*.tmp")), "a temporary file was left behind"


def test_existing_output_survives_a_failing_extraction(tmp_path: Path) -> None:
    package_dir = fake_package(tmp_path)
    script = package_dir / "lib" / "widget" / "index.js"
    target = tmp_path / "out.json.gz"
    assert schema_extract.main(["aws", "--package-dir", str(package_dir), "--output", str(target)]) == 0
    good = target.read_bytes()
    script.write_text(script.read_text().replace("getStringAttribute('arn')", "getFancyAttribute('arn')"))
    assert schema_extract.main(["aws", "--package-dir", str(package_dir), "--output", str(target)]) == 1
    assert target.read_bytes() == good


def test_doctor_shows_the_schemas_and_a_broken_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from toolkit.cli import app

    result = CliRunner().invoke(app, ["doctor", "--json"])
    component = {item["component"]: item for item in json.loads(result.stdout)}["provider schemas"]
    assert component["ok"] is True, result.output
    assert component["detail"] == (
        "aws 6.66.0 (toolkit/data/provider_schemas/aws.json.gz), random 3.9.1 (toolkit/data/provider_schemas/"
        "random.json.gz)"
    )
    broken = tmp_path / "aws.json"
    broken.write_text("{}")
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(broken))
    result = CliRunner().invoke(app, ["doctor", "--json"])
    component = {item["component"]: item for item in json.loads(result.stdout)}["provider schemas"]
    assert component["ok"] is False
    assert component["detail"] == f"{broken}: not a `terraform providers schema -json` document (no provider_schemas)"
    assert result.exit_code == 1, result.output


def fake_npm(bin_dir: Path, source: Path, log: Path, exit_code: int = 0) -> None:
    """An `npm` on PATH that "installs" a prepared package folder into --prefix and logs its arguments."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "npm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        f"[ {exit_code} -eq 0 ] || {{ echo 'npm ERR! 404 Not Found' >&2; exit {exit_code}; }}\n"
        'while [ "$1" != "--prefix" ]; do shift; done\n'
        'mkdir -p "$2/node_modules/@cdktn"\n'
        f'cp -r "{source}" "$2/node_modules/@cdktn/provider-aws"\n'
    )
    script.chmod(0o755)


def test_npm_option_fetches_another_version_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = fake_package(tmp_path / "registry", "19.0.0")
    log = tmp_path / "npm.log"
    fake_npm(tmp_path / "bin", source, log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    cache, target = tmp_path / "cache", tmp_path / "aws-19.json.gz"
    arguments = ["aws", "--npm", "@cdktn/provider-aws@19.0.0", "--cache-dir", str(cache), "--output", str(target)]
    assert schema_extract.main(arguments) == 0
    assert json.loads(gzip.decompress(target.read_bytes()))["toolkit"]["package_version"] == "19.0.0"
    assert (cache / "npm-schemas" / "@cdktn__provider-aws@19.0.0" / "node_modules" / "@cdktn" / "provider-aws").is_dir()
    assert schema_extract.main(arguments) == 0
    calls = log.read_text().splitlines()
    assert len(calls) == 1, "the second run must reuse the installed package"
    assert "--ignore-scripts" in calls[0].split()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("provider-aws", "--npm 'provider-aws': expected NAME@VERSION, e.g. @cdktf/provider-aws@19.0.0"),
        ("@cdktn/provider-aws@latest; rm -rf /", "--npm '@cdktn/provider-aws@latest; rm -rf /': expected NAME@VERSION"),
        (
            "@cdktn/provider-aws@99.0.0",
            "npm install @cdktn/provider-aws@99.0.0 failed (exit 1): npm ERR! 404 Not Found",
        ),
    ],
)
def test_npm_option_bad_spec_or_failed_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, spec: str, message: str
) -> None:
    fake_npm(tmp_path / "bin", fake_package(tmp_path / "registry"), tmp_path / "npm.log", exit_code=1)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    target = tmp_path / "out.json.gz"
    arguments = ["aws", "--npm", spec, "--cache-dir", str(tmp_path / "cache"), "--output", str(target)]
    assert schema_extract.main(arguments) == 1
    assert capsys.readouterr().err.startswith(f"Error: {message}")
    assert not target.exists()


# --------------------------------------------------------------------------------- against a real provider

ENGINE = CACHE_DIR / "engine" / "bin" / "terraform"
MIRROR = CACHE_DIR / "providers"
# Where the real AWS provider 3.39 (the sandbox's) and the extracted 6.66 schema legitimately differ in shape:
# the provider changed these between the two releases; the 6.66 package says so itself (e.g. route53 `alias`
# is a list block with one item there: `type: "list"` and an OutputReference, a set in 3.39).
KNOWN_BLOCK_TO_ATTRIBUTE = {
    "aws_acmpca_certificate_authority.revocation_configuration",  # data source: computed-only since 4.x
    "aws_ec2_instance_type.fpgas",
    "aws_ec2_instance_type.gpus",
    "aws_ec2_instance_type.inference_accelerators",
    "aws_ec2_instance_type.instance_disks",
    "aws_elasticache_replication_group.cluster_mode",  # a string since 5.0
    "aws_mq_broker.logs",
}
KNOWN_NESTING_CHANGES = {
    "aws_cloudtrail.insight_selector",
    "aws_config_remediation_configuration.parameter",
    "aws_ec2_client_vpn_endpoint.authentication_options",
    "aws_gamelift_fleet.ec2_inbound_permission",
    "aws_kinesis_firehose_delivery_stream.elasticsearch_configuration.processing_configuration.processors.parameters",
    "aws_kinesis_firehose_delivery_stream.extended_s3_configuration.processing_configuration.processors.parameters",
    "aws_kinesis_firehose_delivery_stream.http_endpoint_configuration.processing_configuration.processors.parameters",
    "aws_kinesis_firehose_delivery_stream.redshift_configuration.processing_configuration.processors.parameters",
    "aws_kinesis_firehose_delivery_stream.splunk_configuration.processing_configuration.processors.parameters",
    "aws_networkfirewall_rule_group.rule_group.rules_source.stateful_rule",
    "aws_route53_record.alias",
    "aws_s3_bucket.logging",
}


@pytest.fixture(scope="module")
def real_aws_3_39(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`terraform providers schema -json` of the real hashicorp/aws 3.39.0 binary from the sandbox mirror."""
    import subprocess

    if not ENGINE.is_file() or not (MIRROR / "registry.terraform.io/hashicorp/aws/3.39.0").is_dir():
        pytest.skip("the engine or the AWS provider 3.39 mirror is not installed (make setup)")
    work = tmp_path_factory.mktemp("aws339")
    (work / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "3.39.0" }\n  }\n}\n'
    )
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TF_IN_AUTOMATION": "1"}
    subprocess.run([str(ENGINE), "init", f"-plugin-dir={MIRROR}", "-input=false", "-no-color"], cwd=work,
                   env=environment, check=True, capture_output=True, timeout=300)
    result = subprocess.run([str(ENGINE), "providers", "schema", "-json"], cwd=work, env=environment, check=True,
                            capture_output=True, timeout=300)
    return json.loads(result.stdout)["provider_schemas"]["registry.terraform.io/hashicorp/aws"]


@pytest.mark.slow
def test_shapes_agree_with_a_real_provider_binary(real_aws_3_39: dict[str, Any], aws: Any) -> None:
    """The extraction rules (block or attribute, list or set, computed-only objects as attributes) checked
    against what the real provider reports for every name both releases have: 5,000+ blocks, 14,000+
    attributes. Only the known changes between 3.39 and 6.66 may differ."""
    mine = aws.document()["provider_schemas"][aws.address]
    block_to_attribute: set[str] = set()
    attribute_to_block: set[str] = set()
    nesting: set[str] = set()
    compared = {"blocks": 0, "attributes": 0}

    def walk(real: dict[str, Any], ours: dict[str, Any], where: str) -> None:
        for name in real.get("attributes", {}):
            if name in ours.get("attributes", {}):
                compared["attributes"] += 1
            elif name in ours.get("block_types", {}):
                attribute_to_block.add(f"{where}.{name}")
        for name, spec in real.get("block_types", {}).items():
            if name in ours.get("block_types", {}):
                compared["blocks"] += 1
                if spec["nesting_mode"] != ours["block_types"][name]["nesting_mode"]:
                    nesting.add(f"{where}.{name}")
                walk(spec["block"], ours["block_types"][name]["block"], f"{where}.{name}")
            elif name in ours.get("attributes", {}):
                block_to_attribute.add(f"{where}.{name}")

    for section in ("resource_schemas", "data_source_schemas"):
        for type_name, type_schema in real_aws_3_39[section].items():
            if type_name in mine[section]:
                walk(type_schema["block"], mine[section][type_name]["block"], type_name)
    assert compared["blocks"] > 5000 and compared["attributes"] > 14000, compared
    assert attribute_to_block == set()
    assert block_to_attribute == KNOWN_BLOCK_TO_ATTRIBUTE
    assert nesting == KNOWN_NESTING_CHANGES
