"""The tfplugin6 Provider service of the stub: schema, validation, plan, apply, read, import, data sources.

Semantics (docs/CHECKS.md, "The stub provider"):
- validate: Terraform core checks the configuration against the schema; the stub adds nothing.
- plan, create: the proposed state with every computed attribute the configuration leaves null unknown
  (in nested blocks too); `tags_all` is the provider's default_tags merged with `tags`.
- plan, update: the prior computed values are kept (Terraform's proposed state already holds them); only
  new nested block elements get unknowns. A change of an attribute listed in force_new.py (names, engines,
  encryption, the task definition...) is planned as a replacement, every other change in place.
- apply: the planned state with each unknown replaced by a plausible value (values.py), so every known
  planned value is kept exactly, as Terraform requires.
- read returns the state as it is; import gives the id (and computed values) as the state; state upgrade
  passes the stored JSON through. Data sources return plausible known values.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stub_provider import cty
from stub_provider.cty import UNKNOWN, Dynamic
from stub_provider.force_new import FORCE_NEW
from stub_provider.iam_policy import render as render_policy
from stub_provider.schema import DATA_SOURCE, RESOURCE, CompiledSchema, TypeSchema
from stub_provider.values import ACCOUNT_ID, DNS_SUFFIX, NAME_ATTRIBUTES, PARTITION, Context, Generator, fill

# AWS managed CloudFront policies have fixed, documented ids.
MANAGED_CLOUDFRONT_POLICIES = {
    "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "Managed-CachingOptimizedForUncompressedObjects": "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
    "Managed-AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "Managed-CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    "Managed-SecurityHeadersPolicy": "67f7725c-6f97-4210-82d7-5512b31e9d03",
    "Managed-CORS-With-Preflight": "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
}
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
                "sa-east-1": "South America (Sao Paulo)", "eu-west-1": "Europe (Ireland)",
                "eu-central-1": "Europe (Frankfurt)"}
ZONE_ID_PREFIXES = {"us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2", "sa-east-1": "sae1",
                    "eu-west-1": "euw1", "eu-central-1": "euc1"}


@dataclass
class StubProvider:
    name: str
    schema: CompiledSchema
    stop: threading.Event
    context: Context = field(default_factory=Context)

    @classmethod
    def load(cls, name: str, data_dir: Path, stop: threading.Event) -> StubProvider:
        return cls(name, CompiledSchema.open(data_dir), stop)

    # --- helpers -----------------------------------------------------------------------------------

    def _type(self, pb: Any, kind: str, name: str, response: Any) -> TypeSchema | None:
        found = self.schema.get(kind, name)
        if found is None:
            what = "resource type" if kind == RESOURCE else "data source"
            _error(pb, response, f"Unknown {what}", f"The {self.name} stub provider has no {what} {name!r}.")
        return found

    # --- schema --------------------------------------------------------------------------------------

    def GetMetadata(self, pb: Any, request: Any) -> bytes:
        return self.schema.metadata_bytes()

    def GetProviderSchema(self, pb: Any, request: Any) -> bytes:
        return self.schema.schema_bytes()

    def GetFunctions(self, pb: Any, request: Any) -> Any:
        return pb.GetFunctions.Response()

    # --- validation ----------------------------------------------------------------------------------

    def ValidateProviderConfig(self, pb: Any, request: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, pb: Any, request: Any) -> Any:
        response = pb.ValidateResourceConfig.Response()
        self._type(pb, RESOURCE, request.type_name, response)
        return response

    def ValidateDataResourceConfig(self, pb: Any, request: Any) -> Any:
        response = pb.ValidateDataResourceConfig.Response()
        self._type(pb, DATA_SOURCE, request.type_name, response)
        return response

    def ConfigureProvider(self, pb: Any, request: Any) -> Any:
        response = pb.ConfigureProvider.Response()
        config = cty.decode(request.config.msgpack, self.schema.provider_type) or {}
        if self.name == "aws":
            region = config.get("region")
            region = region if isinstance(region, str) and region else (
                os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
            if not region:
                _error(pb, response, "No AWS region",
                       'The aws provider needs a region: set `region` in the provider "aws" block or AWS_REGION.')
                return response
            default_tags = config.get("default_tags") or []
            tags = (default_tags[0] if isinstance(default_tags, list) and default_tags else {}).get("tags") or {}
            self.context = Context(region=region, default_tags=tags if isinstance(tags, dict) else {})
        return response

    # --- resources -----------------------------------------------------------------------------------

    def PlanResourceChange(self, pb: Any, request: Any) -> Any:
        response = pb.PlanResourceChange.Response()
        schema = self._type(pb, RESOURCE, request.type_name, response)
        if schema is None:
            return response
        proposed = cty.decode(request.proposed_new_state.msgpack, schema.type)
        prior = cty.decode(request.prior_state.msgpack, schema.type)
        if proposed is None:  # destroy
            response.planned_state.msgpack = cty.encode(None, schema.type)
            return response
        planned = _plan_block(schema.block, proposed, prior)
        if "tags_all" in schema.block.get("attributes", {}):
            planned["tags_all"] = self._tags_all(planned.get("tags"))
        if isinstance(prior, dict):
            for name in FORCE_NEW.get(request.type_name, ()):
                # Only a known new value differing from the old one (an unknown one would make every plan a replace).
                if name in planned and planned[name] is not UNKNOWN and planned[name] != prior.get(name):
                    response.requires_replace.add().steps.add().attribute_name = name
        response.planned_state.msgpack = cty.encode(planned, schema.type)
        response.planned_private = request.prior_private
        return response

    def _tags_all(self, tags: Any) -> Any:
        if tags is UNKNOWN:
            return UNKNOWN
        return {**(self.context.default_tags or {}), **(tags or {})}

    def ApplyResourceChange(self, pb: Any, request: Any) -> Any:
        response = pb.ApplyResourceChange.Response()
        schema = self._type(pb, RESOURCE, request.type_name, response)
        if schema is None:
            return response
        planned = cty.decode(request.planned_state.msgpack, schema.type)
        if planned is None:  # destroyed
            response.new_state.msgpack = cty.encode(None, schema.type)
            return response
        new_state = self._complete(schema, planned, request.planned_state.msgpack)
        response.new_state.msgpack = cty.encode(new_state, schema.type)
        response.private = request.planned_private
        return response

    def _complete(self, schema: TypeSchema, values: dict[str, Any], seed: bytes) -> dict[str, Any]:
        """Every unknown of a resource's values made known: names and id first (the ARN is built from them)."""
        values = dict(values)
        generator = Generator(schema.name, seed, self.context, values)
        attributes = schema.block.get("attributes", {})
        if self.name == "random":
            _random_values(schema.name, values)
        if values.get("name") is UNKNOWN and isinstance(values.get("name_prefix"), str):
            values["name"] = values["name_prefix"] + generator.hex(26)
        for attribute in (*NAME_ATTRIBUTES, "id"):
            if values.get(attribute) is UNKNOWN and attributes.get(attribute, {}).get("type") == "string":
                values[attribute] = generator.name() if attribute != "id" else generator.resource_id()
        if values.get("manage_master_user_password") is True and values.get("master_user_secret") is UNKNOWN:
            # RDS creates the master user secret itself and reports it as one computed nested object.
            kind = "cluster" if schema.name == "aws_rds_cluster" else "db"
            key = values.get("master_user_secret_kms_key_id")
            region = self.context.region
            values["master_user_secret"] = [{
                "kms_key_id": key if isinstance(key, str) else f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/"
                                                              f"{generator.uuid()}",
                "secret_arn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!{kind}-{generator.uuid()}-"
                              f"{generator.hex(6)}",
                "secret_status": "active",
            }]
        return fill(values, schema.type, "", generator)

    def ReadResource(self, pb: Any, request: Any) -> Any:
        response = pb.ReadResource.Response()
        response.new_state.CopyFrom(request.current_state)
        response.private = request.private
        return response

    def UpgradeResourceState(self, pb: Any, request: Any) -> Any:
        response = pb.UpgradeResourceState.Response()
        schema = self._type(pb, RESOURCE, request.type_name, response)
        if schema is None:
            return response
        stored = json.loads(request.raw_state.json or b"null")
        if isinstance(stored, dict):  # attributes a newer schema dropped would fail to decode
            known = set(schema.type[1])
            stored = {key: value for key, value in stored.items() if key in known}
        response.upgraded_state.json = json.dumps(stored).encode()
        return response

    def ImportResourceState(self, pb: Any, request: Any) -> Any:
        response = pb.ImportResourceState.Response()
        schema = self._type(pb, RESOURCE, request.type_name, response)
        if schema is None:
            return response
        attributes = schema.block.get("attributes", {})
        values: dict[str, Any] = {name: None for name in schema.type[1]}
        values["id"] = request.id
        for name, attribute in attributes.items():
            if attribute.get("computed") and name != "id":
                values[name] = UNKNOWN
        if "tags_all" in attributes:
            values["tags_all"] = {}
        if _id_is_the_name(schema.name):
            # Where AWS names the object by its id (a bucket, a log group), the import id is that name.
            name = next((attribute for attribute in NAME_ATTRIBUTES if attribute in attributes), None)
            if name is not None and attributes[name].get("type") == "string":
                values[name] = request.id
        state = self._complete(schema, values, request.id.encode())
        imported = response.imported_resources.add()
        imported.type_name = request.type_name
        imported.state.msgpack = cty.encode(state, schema.type)
        return response

    def MoveResourceState(self, pb: Any, request: Any) -> Any:
        response = pb.MoveResourceState.Response()
        _error(pb, response, "Move not supported", "The stub provider does not move state between resource types.")
        return response

    # --- data sources --------------------------------------------------------------------------------

    def ReadDataSource(self, pb: Any, request: Any) -> Any:
        response = pb.ReadDataSource.Response()
        schema = self._type(pb, DATA_SOURCE, request.type_name, response)
        if schema is None:
            return response
        config = cty.decode(request.config.msgpack, schema.type) or {}
        values = _plan_block(schema.block, config, None)
        values = self._data_values(schema.name, values)
        generator = Generator(schema.name, request.config.msgpack, self.context, values)
        if values.get("id") is UNKNOWN:
            values["id"] = generator.resource_id()
        response.state.msgpack = cty.encode(fill(values, schema.type, "", generator), schema.type)
        return response

    def _data_values(self, type_name: str, values: dict[str, Any]) -> dict[str, Any]:
        region = self.context.region

        def put(name: str, value: Any) -> None:
            if name in values and values[name] is UNKNOWN:
                values[name] = value

        if type_name == "aws_iam_policy_document":
            rendered = render_policy(_plain(values))
            put("json", rendered["json"])
            put("minified_json", rendered["minified_json"])
            put("id", str(_string_hash(rendered["json"])))
        elif type_name == "aws_caller_identity":
            put("account_id", ACCOUNT_ID)
            put("arn", f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/toolkit-offline/stub")
            put("user_id", "AROA3XFRBF535PLBIFPI4:stub")
            put("id", ACCOUNT_ID)
        elif type_name == "aws_region":
            chosen = next((value for value in (values.get("region"), values.get("name"))
                           if isinstance(value, str) and value), region)
            for name in ("region", "name", "id"):
                put(name, chosen)
            put("description", REGION_NAMES.get(chosen, chosen))
            put("endpoint", f"ec2.{chosen}.{DNS_SUFFIX}")
        elif type_name == "aws_partition":
            put("partition", PARTITION)
            put("dns_suffix", DNS_SUFFIX)
            put("reverse_dns_prefix", "com.amazonaws")
            put("id", PARTITION)
        elif type_name == "aws_availability_zones":
            prefix = ZONE_ID_PREFIXES.get(region, region.replace("-", "")[:4])
            put("names", [f"{region}{letter}" for letter in "abc"])
            put("zone_ids", [f"{prefix}-az{number}" for number in (1, 2, 3)])
            put("group_names", [region])
            put("id", region)
        elif type_name.startswith("aws_cloudfront_") and type_name.endswith("_policy"):
            name = values.get("name")
            if isinstance(name, str) and name in MANAGED_CLOUDFRONT_POLICIES:
                put("id", MANAGED_CLOUDFRONT_POLICIES[name])
        return values

    def StopProvider(self, pb: Any, request: Any) -> Any:
        return pb.StopProvider.Response()


def _id_is_the_name(type_name: str) -> bool:
    from stub_provider.values import ARN_IDS, ID_PREFIXES, UUID_IDS

    return type_name.startswith("aws_") and type_name not in {*ID_PREFIXES, *ARN_IDS, *UUID_IDS,
                                                                "aws_cloudfront_distribution"}


def _error(pb: Any, response: Any, summary: str, detail: str) -> None:
    response.diagnostics.append(pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail))


def _plain(value: Any) -> Any:
    if isinstance(value, Dynamic):
        return _plain(value.value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return None if value is UNKNOWN else value


def _string_hash(text: str) -> int:
    """The provider's create.StringHashcode: crc32 (IEEE) of the string; Go's 64-bit int keeps it positive."""
    import zlib

    return zlib.crc32(text.encode())


def _without_computed(block: dict[str, Any], value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    attributes = block.get("attributes", {})
    return {name: item for name, item in value.items()
            if not attributes.get(name, {}).get("computed") and name not in block.get("block_types", {})}


def _plan_block(block: dict[str, Any], proposed: dict[str, Any], prior: dict[str, Any] | None) -> dict[str, Any]:
    """Computed attributes left null become unknown where nothing was there before (new object/element)."""
    planned = dict(proposed)
    for name, attribute in block.get("attributes", {}).items():
        if attribute.get("computed") and planned.get(name) is None and prior is None:
            planned[name] = UNKNOWN
    for name, nested in block.get("block_types", {}).items():
        value = planned.get(name)
        if value is None or value is UNKNOWN:
            continue
        inner = nested.get("block", {})
        prior_value = prior.get(name) if isinstance(prior, dict) else None
        mode = nested.get("nesting_mode", "list")
        if mode in ("single", "group"):
            planned[name] = _plan_block(inner, value, prior_value if isinstance(prior_value, dict) else None)
        elif mode == "list":
            prior_items = prior_value if isinstance(prior_value, list) else []
            planned[name] = [_plan_block(inner, item, prior_items[index] if index < len(prior_items) else None)
                             if isinstance(item, dict) else item for index, item in enumerate(value)]
        elif mode == "set":
            prior_items = prior_value if isinstance(prior_value, list) else []
            planned[name] = [_plan_block(inner, item, next(
                (old for old in prior_items if _without_computed(inner, old) == _without_computed(inner, item)),
                None)) if isinstance(item, dict) else item for item in value]
        elif mode == "map":
            prior_map = prior_value if isinstance(prior_value, dict) else {}
            planned[name] = {key: _plan_block(inner, item, prior_map.get(key)) if isinstance(item, dict) else item
                             for key, item in value.items()}
    return planned


# --- random ----------------------------------------------------------------------------------------------

def _random_values(type_name: str, values: dict[str, Any]) -> None:
    """Real random values for the random provider's computed attributes (only where they are unknown)."""

    def put(name: str, value: Any) -> None:
        if values.get(name) is UNKNOWN:
            values[name] = value

    if type_name == "random_id":
        data = secrets.token_bytes(int(values.get("byte_length") or 8))
        prefix = values.get("prefix") or ""
        url = base64.urlsafe_b64encode(data).decode().rstrip("=")
        put("id", url)
        put("b64_url", prefix + url)
        put("b64_std", prefix + base64.b64encode(data).decode())
        put("hex", prefix + data.hex())
        put("dec", prefix + str(int.from_bytes(data, "big")))
    elif type_name in ("random_password", "random_string"):
        # The real provider's defaults (the stub plans them unknown: it knows no defaults).
        for flag in ("upper", "lower", "numeric", "special", "number"):
            put(flag, True)
        for minimum in ("min_upper", "min_lower", "min_numeric", "min_special"):
            put(minimum, 0)
        result = _random_string(values)
        put("result", result)
        put("id", "none" if type_name == "random_password" else result)
        put("bcrypt_hash", "$2a$10$" + "".join(secrets.choice(string.ascii_letters + string.digits + "./")
                                                for _ in range(53)))
    elif type_name == "random_uuid":
        import uuid

        put("result", str(uuid.uuid4()))
        put("id", values.get("result") if values.get("result") is not UNKNOWN else str(uuid.uuid4()))
    elif type_name == "random_integer":
        low, high = int(values.get("min") or 0), int(values.get("max") or 0)
        number = low + secrets.randbelow(max(high - low + 1, 1))
        put("result", number)
        put("id", str(number))


def _random_string(values: dict[str, Any]) -> str:
    length = int(values.get("length") or 16)
    special = values.get("override_special")
    pools = []
    for flag, minimum, pool in (("upper", "min_upper", string.ascii_uppercase),
                                ("lower", "min_lower", string.ascii_lowercase),
                                ("numeric", "min_numeric", string.digits),
                                ("special", "min_special", special if isinstance(special, str) else
                                 "!@#$%&*()-_=+[]{}<>:?")):
        if values.get(flag) is not False and pool:
            pools.append((pool, int(values.get(minimum) or 0)))
    alphabet = "".join(pool for pool, _ in pools) or string.ascii_letters
    characters = [secrets.choice(pool) for pool, minimum in pools for _ in range(minimum)]
    characters += [secrets.choice(alphabet) for _ in range(max(length - len(characters), 0))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


# --- gRPC wiring -----------------------------------------------------------------------------------------

RPC_NAMES = ("GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ValidateResourceConfig",
             "ValidateDataResourceConfig", "UpgradeResourceState", "ConfigureProvider", "ReadResource",
             "PlanResourceChange", "ApplyResourceChange", "ImportResourceState", "MoveResourceState",
             "ReadDataSource", "GetFunctions", "StopProvider")


def _serialize(message: Any) -> bytes:
    return message if isinstance(message, bytes) else message.SerializeToString()


def add_to_server(provider: StubProvider, server: Any) -> None:
    """Register the Provider service; methods absent here (identity, ephemeral, list...) answer UNIMPLEMENTED,
    which Terraform treats as "not supported by this provider"."""
    import grpc
    from tf.gen import tfplugin_pb2 as pb

    def handler(name: str) -> Callable[[Any, Any], Any]:
        method = getattr(provider, name)

        def call(request: Any, context: Any) -> Any:
            try:
                return method(pb, request)
            except Exception as error:  # a stub bug must reach the user as a diagnostic, not a hang
                response = getattr(pb, name).Response()
                detail = "".join(traceback.format_exception(error))
                if hasattr(response, "diagnostics"):
                    _error(pb, response, f"Stub provider error in {name}", detail)
                    return response
                context.abort(grpc.StatusCode.INTERNAL, detail)
                raise

        return call

    handlers = {
        name: grpc.unary_unary_rpc_method_handler(handler(name),
                                                  request_deserializer=getattr(pb, name).Request.FromString,
                                                  response_serializer=_serialize)
        for name in RPC_NAMES
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("tfplugin6.Provider", handlers),))
