"""The shipped price snapshot: every resource type the modules create is priced or known free, and
every price names what identifies it in the AWS Price List."""

from __future__ import annotations

import json
import re
from pathlib import Path

from toolkit.cost.estimate import RULES
from toolkit.cost.prices import load_price_book

REPO = Path(__file__).resolve().parents[2]


def created_types() -> set[str]:
    """Every managed resource type the HCL can create (modules at any depth, the root)."""
    found: set[str] = set()
    for path in [*REPO.glob("modules/**/*.tf"), *REPO.glob("terraform/**/*.tf")]:
        found |= set(re.findall(r'^\s*resource\s+"([a-z0-9_]+)"', path.read_text(encoding="utf-8"), re.MULTILINE))
    return found


def planned_types() -> set[str]:
    """The types prod's offline plan (the real root, terraform 1.15.5) creates."""
    plan = json.loads((REPO / "tests" / "fixtures" / "plans" / "offline_prod.json").read_text(encoding="utf-8"))
    return {entry["type"] for entry in plan["resource_changes"] if entry.get("mode") == "managed"}


def test_every_type_the_modules_create_has_a_rule_or_is_free() -> None:
    book = load_price_book()
    types = created_types()
    assert {"aws_db_instance", "aws_elasticache_replication_group", "aws_lb"} <= types  # the parser reads the HCL
    uncovered = (types | planned_types()) - set(RULES) - book.free_types
    assert not uncovered, (f"add a price rule (toolkit/cost/estimate.py) or a free_types entry with its reason "
                           f"(toolkit/data/prices.yaml) for {sorted(uncovered)}")
    assert not set(RULES) & book.free_types
    # A free type says why it costs nothing; "free" alone is not a reason.
    for name, reason in book.free_reasons.items():
        assert len(reason.split()) >= 3, (name, reason)


def test_every_product_a_rule_names_is_in_the_price_file() -> None:
    import inspect

    from toolkit.cost import estimate

    source = inspect.getsource(estimate)
    named = set(re.findall(r'price\("([a-z0-9_]+)"', source))
    named |= set(re.findall(r'_usage_line\(context,\s*(?:"[^"]*"|f"[^"]*"),\s*"([a-z0-9_]+)"', source))
    named |= set(re.findall(r'_one\("([a-z0-9_]+)"', source))
    named |= set(re.findall(r'_from_usage\("[^"]*",\s*"([a-z0-9_]+)"', source))
    assert {"alb_hour", "vended_logs_gb", "xray_million_traces", "kms_key_month"} <= named
    missing = named - set(load_price_book().data.products)
    assert not missing, missing


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
