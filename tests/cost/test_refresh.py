"""--refresh-prices against botocore's Stubber: responses shaped like the Price List Query API's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.cost.prices import load_price_book
from toolkit.cost.refresh import refresh_prices

PRICE_FILE = """
format: 1
currency: USD
hours_per_month: 730
locations: {sa-east-1: South America (Sao Paulo)}
products:
  nat_gateway_hour:
    service_code: AmazonEC2
    unit: hour
    attributes: {productFamily: NAT Gateway, usagetype: "{prefix}NatGateway-Hours"}
    regions:
      sa-east-1: {usd: 0.093, as_of: "2026-11-30", source: snapshot}
  elasticache_node_hour:
    service_code: AmazonElastiCache
    unit: node-hour
    attributes: {cacheEngine: Redis, instanceType: "{instance_type}"}
    by_instance_type:
      cache.t3.micro:
        sa-east-1: {usd: null, as_of: "2026-11-30", source: none found}
      cache.x9.huge:
        sa-east-1: {usd: null, as_of: "2026-11-30", source: none found}
"""


def price_list_entry(sku: str, usd: str, attributes: dict[str, str]) -> str:
    """One PriceList item as the API returns it: a JSON document in a string."""
    return json.dumps({
        "product": {"productFamily": attributes.get("productFamily", "Cache Instance"), "sku": sku,
                    "attributes": {"servicecode": "x", "location": "South America (Sao Paulo)", **attributes}},
        "serviceCode": "x",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
            "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7", "description": "per hour", "beginRange": "0",
                "endRange": "Inf", "unit": "Hrs", "pricePerUnit": {"USD": usd}, "appliesTo": []}},
            "termAttributes": {}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z",
    })


def filters(**attributes: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in sorted(attributes.items())]


@pytest.fixture
def pricing() -> Any:
    return boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_refresh_follows_pages_and_reports_unknown_products(tmp_path: Path, pricing: Any) -> None:
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(PRICE_FILE)
    book = load_price_book(price_file)
    stubber = Stubber(pricing)
    nat = {"productFamily": "NAT Gateway", "regionCode": "sa-east-1", "usagetype": "SAE1-NatGateway-Hours"}
    base = {"ServiceCode": "AmazonEC2", "Filters": filters(**nat), "FormatVersion": "aws_v1", "MaxResults": 100}
    # Page 1 carries only a free (0.0) reserved-applied dimension, page 2 the on-demand price.
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "NextToken": "page-2",
                                          "PriceList": [price_list_entry("SKU1", "0.0000000000", nat)]}, base)
    stubber.add_response("get_products", {"FormatVersion": "aws_v1",
                                          "PriceList": [price_list_entry("SKU2", "0.0950000000", nat)]},
                         {**base, "NextToken": "page-2"})
    micro = {"cacheEngine": "Redis", "instanceType": "cache.t3.micro", "regionCode": "sa-east-1"}
    stubber.add_response("get_products", {"FormatVersion": "aws_v1",
                                          "PriceList": [price_list_entry("SKU3", "0.0260000000", micro)]},
                         {"ServiceCode": "AmazonElastiCache", "Filters": filters(**micro), "FormatVersion": "aws_v1",
                          "MaxResults": 100})
    huge = {"cacheEngine": "Redis", "instanceType": "cache.x9.huge", "regionCode": "sa-east-1"}
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []},
                         {"ServiceCode": "AmazonElastiCache", "Filters": filters(**huge), "FormatVersion": "aws_v1",
                          "MaxResults": 100})
    with stubber:
        result = refresh_prices(book, tmp_path / "cache", client=pricing)
        stubber.assert_no_pending_responses()
    assert result.updated == ["nat_gateway_hour@sa-east-1", "elasticache_node_hour/cache.t3.micro@sa-east-1"]
    assert result.unknown == ["elasticache_node_hour/cache.x9.huge@sa-east-1"]
    assert "No product found (kept the snapshot value, or not priced): elasticache_node_hour/cache.x9.huge" \
        in result.message()

    refreshed = load_price_book(None, tmp_path / "cache")
    assert refreshed.price("nat_gateway_hour", "sa-east-1").usd == 0.095
    assert refreshed.price("elasticache_node_hour", "sa-east-1", "cache.t3.micro").usd == 0.026
    assert refreshed.price("elasticache_node_hour", "sa-east-1", "cache.t3.micro").source.startswith(
        "AWS Price List API AmazonElastiCache (cacheEngine=Redis, instanceType=cache.t3.micro")
    # The unknown product stays as the snapshot has it: not priced, never a guess.
    assert refreshed.price("elasticache_node_hour", "sa-east-1", "cache.x9.huge").usd is None


def test_several_prices_for_one_product_are_not_picked(tmp_path: Path, pricing: Any) -> None:
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(PRICE_FILE.split("  elasticache_node_hour:")[0])
    book = load_price_book(price_file)
    nat = {"productFamily": "NAT Gateway", "regionCode": "sa-east-1", "usagetype": "SAE1-NatGateway-Hours"}
    stubber = Stubber(pricing)
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [
        price_list_entry("A", "0.093", nat), price_list_entry("B", "0.1", nat)]})
    with stubber:
        result = refresh_prices(book, tmp_path / "cache", client=pricing)
    assert result.updated == [] and result.ambiguous == ["nat_gateway_hour@sa-east-1 (0.093, 0.1)"]
    assert load_price_book(None, tmp_path / "cache").price("nat_gateway_hour", "sa-east-1").usd == 0.093


def test_api_error_is_one_clear_line(tmp_path: Path, pricing: Any, monkeypatch: pytest.MonkeyPatch,
                                     env_plan: Callable[..., Path]) -> None:
    stubber = Stubber(pricing)
    stubber.add_client_error("get_products", service_error_code="AccessDeniedException",
                             service_message="not authorized to perform: pricing:GetProducts")
    monkeypatch.setattr("toolkit.aws.aws_client", lambda *args, **kwargs: pricing)
    with stubber:
        result = CliRunner().invoke(app, ["cost", str(env_plan("dev")), "-e", "dev", "--refresh-prices"])
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: pricing get_products fargate_vcpu_hour@us-east-1: AccessDeniedException: "
                             "not authorized to perform: pricing:GetProducts\n")
