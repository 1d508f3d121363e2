"""The shipped price snapshot: every resource type the modules create is priced or known free, and
every price names what identifies it in the AWS Price List."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.cost.estimate import RULES
from toolkit.cost.prices import load_price_book

REPO = Path(__file__).resolve().parents[2]


def created_types() -> set[str]:
    found: set[str] = set()
    for path in [*REPO.glob("modules/*/*.tf"), *REPO.glob("terraform/*.tf")]:
        found |= set(re.findall(r'^resource "([a-z0-9_]+)"', path.read_text(encoding="utf-8"), re.MULTILINE))
    return found


def test_every_type_the_modules_create_has_a_rule_or_is_free() -> None:
    book = load_price_book()
    uncovered = created_types() - set(RULES) - book.free_types
    assert not uncovered, f"add a price rule (toolkit/cost/estimate.py) or a free_types entry for {sorted(uncovered)}"
    assert not set(RULES) & book.free_types


def test_every_price_has_its_unit_date_source_and_price_list_attributes() -> None:
    book = load_price_book()
    assert book.regions == ["sa-east-1", "us-east-1"]
    for product, region, instance_type in book.entries():
        price = book.price(product, region, instance_type)
        assert price.unit and price.as_of and price.source and price.service_code, (product, region)
        assert price.location in ("South America (Sao Paulo)", "US East (N. Virginia)")
        if book.data.products[product].global_product:
            # A global product (dashboards) has no regionCode and no region prefix in the Price List.
            assert "regionCode" not in price.attributes and not price.attributes["usagetype"].startswith("SAE1-")
            continue
        assert price.attributes["regionCode"] == region
        # What names the product: its usage type, its instance type, or (storage) its volume type.
        assert {"usagetype", "instanceType", "volumeType"} & set(price.attributes), product
        if instance_type:
            assert price.attributes["instanceType"] == instance_type
        if "usagetype" in price.attributes and region == "sa-east-1":
            # KMS names its usage types by the region code (sa-east-1-KMS-Keys), CloudFront by edge (SA-).
            assert price.attributes["usagetype"].startswith(("SAE1-", "SA-", "sa-east-1-")), (product, price.attributes)
    # Both regions are listed for every product: a missing figure is an explicit null, not an absence.
    for key, product in book.data.products.items():
        tables = product.by_instance_type.values() if product.by_instance_type else [product.regions]
        for table in tables:
            assert set(table) == {"sa-east-1", "us-east-1"}, key
