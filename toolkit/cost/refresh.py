"""`toolkit cost --refresh-prices`: look every product of the price book up in the AWS Price List Query API.

Each (product, region, instance type) is queried with the attributes the book stores for it
(TERM_MATCH filters, `get_products` paginated by NextToken). Exactly one on-demand USD price →
it goes into the project cache (.cache/prices/prices.json) with today's date; no product or several
different prices → the book keeps its snapshot value and the result says why. The snapshot itself
is never rewritten.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.cost.prices import CACHE_NAME, MAX_UNIT_USD, PriceBook, RegionPrice, cache_rows
from toolkit.files import write_atomically

# The Price List Query API answers only in these regions.
PRICING_API_REGION = "us-east-1"


@dataclass
class RefreshResult:
    path: Path
    updated: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    def message(self) -> str:
        lines = [f"Refreshed {len(self.updated)} prices from the AWS Price List API into {self.path}."]
        if self.unknown:
            lines.append(f"No product found (kept the snapshot value, or not priced): {', '.join(self.unknown)}")
        if self.ambiguous:
            lines.append(f"Several different prices (kept the snapshot value): {', '.join(self.ambiguous)}")
        return "\n".join(lines)


def on_demand_prices(price_list: list[str]) -> set[float]:
    """The distinct non-zero USD on-demand prices in `get_products`' PriceList (JSON strings)."""
    found: set[float] = set()
    for item in price_list:
        try:
            product = json.loads(item) if isinstance(item, str) else item
        except ValueError:
            continue
        terms = (product.get("terms") or {}).get("OnDemand") or {}
        for term in terms.values():
            for dimension in (term.get("priceDimensions") or {}).values():
                text = (dimension.get("pricePerUnit") or {}).get("USD")
                try:
                    value = float(text)
                except (TypeError, ValueError):
                    continue
                if value > 0:
                    found.add(value)
    return found


@dataclass(frozen=True)
class Offer:
    """One non-zero on-demand price of a PriceList entry, with what identifies it."""

    usd: float
    sku: str
    usage_type: str
    effective: str


def on_demand_offers(price_list: list[str]) -> list[Offer]:
    """Every non-zero USD on-demand price dimension in `get_products`' PriceList, with SKU and date."""
    found: list[Offer] = []
    for item in price_list:
        try:
            product = json.loads(item) if isinstance(item, str) else item
        except ValueError:
            continue
        if not isinstance(product, dict):
            continue
        details = product.get("product") or {}
        usage_type = str((details.get("attributes") or {}).get("usagetype") or "")
        for term in ((product.get("terms") or {}).get("OnDemand") or {}).values():
            effective = str(term.get("effectiveDate") or "")[:10]
            for dimension in (term.get("priceDimensions") or {}).values():
                try:
                    value = float((dimension.get("pricePerUnit") or {}).get("USD"))
                except (TypeError, ValueError):
                    continue
                if value > 0 and math.isfinite(value):
                    found.append(Offer(value, str(details.get("sku") or term.get("sku") or ""), usage_type,
                                       effective))
    return found


def fetch_products(client: Any, service_code: str, attributes: dict[str, str]) -> list[str]:
    """Every PriceList entry matching the attributes, following NextToken to the last page."""
    filters = [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in sorted(attributes.items())]
    request: dict[str, Any] = {"ServiceCode": service_code, "Filters": filters, "FormatVersion": "aws_v1",
                               "MaxResults": 100}
    entries: list[str] = []
    while True:
        response = client.get_products(**request)
        entries.extend(response.get("PriceList") or [])
        token = response.get("NextToken")
        if not token:
            return entries
        request["NextToken"] = token


def refresh_prices(book: PriceBook, cache_dir: Path, client: Any | None = None) -> RefreshResult:
    """Query every product of `book`, write the cache, and return what changed."""
    from toolkit.aws import aws_client, aws_errors

    pricing = client or aws_client("pricing", region=PRICING_API_REGION)
    today = datetime.now(UTC).date().isoformat()
    result = RefreshResult(cache_dir / CACHE_NAME)
    overrides = dict(book.overrides)
    for product_key, region, instance_type in book.entries():
        product = book.data.products[product_key]
        name = f"{product_key}{'/' + instance_type if instance_type else ''}@{region}"
        attributes = book.attributes(product_key, region, instance_type)
        with aws_errors(f"pricing get_products {name}"):
            entries = fetch_products(pricing, product.service_code, attributes)
        offers = on_demand_offers(entries)
        prices = {offer.usd for offer in offers}
        if not prices:
            result.unknown.append(name)
            continue
        if len(prices) > 1:
            result.ambiguous.append(f"{name} ({', '.join(f'{value:g}' for value in sorted(prices))})")
            continue
        if prices.pop() > MAX_UNIT_USD:
            result.ambiguous.append(f"{name} (a price above {MAX_UNIT_USD:,.0f} USD is not believed)")
            continue
        filters = ", ".join(f"{key}={value}" for key, value in sorted(attributes.items()))
        offer = offers[0]
        overrides[(product_key, region, instance_type)] = RegionPrice(
            usd=offer.usd, as_of=today, source=f"AWS Price List API {product.service_code} ({filters})",
            usage_type=offer.usage_type or None, sku=offer.sku or None, effective=offer.effective or None)
        result.updated.append(name)
    book.overrides = overrides
    result.path.parent.mkdir(parents=True, exist_ok=True)
    document = {"fetched_at": datetime.now(UTC).isoformat(timespec="seconds"), "prices": cache_rows(book)}
    write_atomically(result.path, json.dumps(document, indent=1) + "\n")
    return result
