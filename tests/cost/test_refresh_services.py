"""--refresh-prices, one Stubber per Price List service of the shipped snapshot: the request carries the
filters that match the real product (KMS's `sa-east-1-KMS-Keys`, dashboards with no regionCode), and a
response shaped like the real `get_products` answer updates the price with its SKU and effective date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from toolkit.cost.prices import PriceBook, load_price_book
from toolkit.cost.refresh import refresh_prices

BOOK = load_price_book()
SERVICES = sorted({product.service_code for product in BOOK.data.products.values()})


def real_shaped_entry(service_code: str, sku: str, usd: str, attributes: dict[str, str], unit: str) -> str:
    """A PriceList item as `get_products` returns it (FormatVersion aws_v1): a JSON document in a string."""
    product_attributes = {"servicecode": service_code, "location": "South America (Sao Paulo)",
                          "locationType": "AWS Region", **attributes}
    if "regionCode" not in attributes:
        product_attributes["location"] = "Any"  # a global product (dashboards)
    term = f"{sku}.JRTCKXETXF"
    return json.dumps({
        "product": {"productFamily": attributes.get("productFamily", "x"), "attributes": product_attributes,
                    "sku": sku},
        "serviceCode": service_code,
        "terms": {"OnDemand": {term: {
            "priceDimensions": {f"{term}.6YS6EN2CT7": {
                "unit": unit, "endRange": "Inf", "description": f"${usd} per {unit}",
                "appliesTo": [], "rateCode": f"{term}.6YS6EN2CT7", "beginRange": "0",
                "pricePerUnit": {"USD": usd}}},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {}}}},
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    })


def only_service(book: PriceBook, service_code: str, region: str) -> list[tuple[str, str, str]]:
    return [entry for entry in book.entries()
            if entry[1] == region and book.data.products[entry[0]].service_code == service_code]


@pytest.mark.parametrize("service_code", SERVICES)
def test_refresh_of_each_service_asks_for_what_the_price_list_holds(service_code: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    book = load_price_book()
    wanted = only_service(book, service_code, "sa-east-1")
    monkeypatch.setattr(book, "entries", lambda: wanted)
    pricing: Any = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing")
    stubber = Stubber(pricing)
    for number, (product_key, region, instance_type) in enumerate(wanted):
        attributes = book.attributes(product_key, region, instance_type)
        filters = [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in sorted(attributes.items())]
        sku = f"SKU{number:04d}STUBBED"
        response = {"FormatVersion": "aws_v1", "PriceList": [
            real_shaped_entry(service_code, sku, "1.2345000000", attributes, book.data.products[product_key].unit)]}
        stubber.add_response("get_products", response, {"ServiceCode": service_code, "Filters": filters,
                                                         "FormatVersion": "aws_v1", "MaxResults": 100})
    with stubber:
        result = refresh_prices(book, tmp_path / "cache", client=pricing)
        stubber.assert_no_pending_responses()
    assert len(result.updated) == len(wanted) and not result.unknown and not result.ambiguous
    refreshed = load_price_book(None, tmp_path / "cache")
    for product_key, region, instance_type in wanted:
        price = refreshed.price(product_key, region, instance_type)
        assert price.usd == 1.2345 and price.source.startswith(f"AWS Price List API {service_code} (")
        entry = refreshed.overrides[(product_key, region, instance_type)]
        assert entry.sku and entry.sku.endswith("STUBBED") and entry.effective == "2026-11-01"


def test_the_filters_that_used_to_match_nothing() -> None:
    # KMS usage types carry the region code, not the SAE1- prefix.
    assert BOOK.attributes("kms_key_month", "sa-east-1")["usagetype"] == "sa-east-1-KMS-Keys"
    assert BOOK.attributes("kms_key_month", "us-east-1")["usagetype"] == "us-east-1-KMS-Keys"
    # Dashboards are one global product: no prefix, no regionCode to filter on.
    dashboard = BOOK.attributes("cloudwatch_dashboard_month", "sa-east-1")
    assert dashboard["usagetype"] == "DashboardsUsageHour-Basic" and "regionCode" not in dashboard
    # Node and instance prices name their usage type: without it Outposts and Extended Support SKUs match too.
    assert BOOK.attributes("elasticache_node_hour", "sa-east-1", "cache.r6g.large")["usagetype"] == \
        "SAE1-NodeUsage:cache.r6g.large"
    assert BOOK.attributes("elasticache_node_hour", "us-east-1", "cache.r6g.large")["usagetype"] == \
        "NodeUsage:cache.r6g.large"
    assert BOOK.attributes("rds_postgres_instance_hour", "sa-east-1", "db.t3.micro")["usagetype"] == \
        "SAE1-InstanceUsage:db.t3.micro"


def test_every_figure_read_in_an_offer_file_names_its_sku_usage_type_and_date() -> None:
    for product_key, region, instance_type in BOOK.entries():
        product = BOOK.data.products[product_key]
        table = product.by_instance_type[instance_type] if instance_type else product.regions
        entry = table[region]
        if entry.sku is not None:
            assert entry.usage_type and entry.effective and entry.usd is not None, (product_key, region)
            assert entry.usage_type == BOOK.attributes(product_key, region, instance_type)["usagetype"]
            assert "offers/v1.0/aws/" in entry.source or "Price List" in entry.source, (product_key, region)


def test_a_refreshed_price_above_any_real_one_is_not_believed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    book = load_price_book()
    wanted = [("alb_hour", "sa-east-1", "")]
    monkeypatch.setattr(book, "entries", lambda: wanted)
    pricing: Any = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing")
    stubber = Stubber(pricing)
    attributes = book.attributes("alb_hour", "sa-east-1")
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [
        real_shaped_entry("AWSELB", "HUGE", "99999999999", attributes, "Hrs")]})
    with stubber:
        result = refresh_prices(book, tmp_path / "cache", client=pricing)
    assert result.updated == [] and "not believed" in result.ambiguous[0]
    assert load_price_book(None, tmp_path / "cache").price("alb_hour", "sa-east-1").usd == 0.034
