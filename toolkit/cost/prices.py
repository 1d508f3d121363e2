"""The price book: the shipped snapshot (toolkit/data/prices.yaml) plus prices fetched by --refresh-prices.

A price is looked up by product key, region and (for instance-priced products) instance type. A
product or region the book does not hold, or an entry whose `usd` is null, gives a Price with
`usd=None`: the estimate shows "not priced" with the reason, it never substitutes another number.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from toolkit.errors import ConfigError

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "prices.yaml"
CACHE_NAME = Path("prices") / "prices.json"


class PriceFileError(ConfigError):
    """The price snapshot or the refreshed price cache is unreadable or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# No AWS unit price the estimate uses comes near this; a bigger one is a typo (or an attack), not a price.
MAX_UNIT_USD = 100_000.0


class RegionPrice(_Strict):
    usd: float | None
    as_of: str
    source: str
    # What identifies the figure in the Price List: the usage type (when it differs from the product's
    # template, e.g. KMS's `sa-east-1-KMS-Keys`), the SKU and the term's effectiveDate.
    usage_type: str | None = None
    sku: str | None = None
    effective: str | None = None

    @field_validator("usd", mode="before")
    @classmethod
    def _finite_dollars(cls, value: object) -> object:
        # `usd: true` would otherwise be read as $1, `.inf` or `.nan` as a price.
        if value is None:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number of US dollars or null, not {value!r}")
        if not math.isfinite(value) or not 0 <= value <= MAX_UNIT_USD:
            raise ValueError(f"must be a finite price between 0 and {MAX_UNIT_USD:,.0f} USD, not {value!r}")
        return float(value)


class Product(_Strict):
    service_code: str
    unit: str
    attributes: dict[str, str]
    # A global product (CloudWatch dashboards): one price for every region, no regionCode, no region prefix.
    global_product: bool = False
    regions: dict[str, RegionPrice] = Field(default_factory=dict)
    by_instance_type: dict[str, dict[str, RegionPrice]] = Field(default_factory=dict)


class PriceFile(_Strict):
    format: int
    currency: str
    hours_per_month: Annotated[float, Field(gt=0)]
    locations: dict[str, str]
    products: dict[str, Product]
    # Resource type -> why it costs nothing by itself (a free type without a reason is refused).
    free_types: dict[str, Annotated[str, Field(min_length=3)]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Price:
    """One unit price with what identifies it in the AWS Price List (None: not priced, with why)."""

    product: str
    region: str
    usd: float | None
    unit: str
    as_of: str
    source: str
    service_code: str
    location: str
    attributes: dict[str, str]

    @property
    def priced(self) -> bool:
        return self.usd is not None


class PriceBook:
    """Prices by product, region and instance type, from the snapshot overlaid by the refresh cache."""

    def __init__(self, data: PriceFile, origin: str, overrides: dict[tuple[str, str, str], RegionPrice] | None = None):
        self.data = data
        self.origin = origin
        self.overrides = overrides or {}
        self.free_types = frozenset(data.free_types)
        self.free_reasons = dict(data.free_types)

    @property
    def regions(self) -> list[str]:
        return sorted(self.data.locations)

    @property
    def hours_per_month(self) -> float:
        return self.data.hours_per_month

    def check_region(self, region: str) -> None:
        if region not in self.data.locations:
            raise ConfigError(
                f"region {region!r} is not in the price snapshot ({self.origin} covers "
                f"{', '.join(self.regions)}): add it to toolkit/data/prices.yaml or estimate with --region"
            )

    def price(self, product_key: str, region: str, instance_type: str = "") -> Price:
        product = self.data.products.get(product_key)
        location = self.data.locations.get(region, region)
        if product is None:
            return Price(product_key, region, None, "", "", f"no product {product_key!r} in the price book",
                         "", location, {})
        attributes = self.attributes(product_key, region, instance_type)
        entry = self.overrides.get((product_key, region, instance_type)) or self._entry(product, region,
                                                                                        instance_type)
        if entry is None:
            what = f"{instance_type} in {region}" if instance_type else region
            return Price(product_key, region, None, product.unit, "", f"{what} is not in the price book",
                         product.service_code, location, attributes)
        return Price(product_key, region, entry.usd, product.unit, entry.as_of, entry.source, product.service_code,
                     location, attributes)

    @staticmethod
    def _entry(product: Product, region: str, instance_type: str) -> RegionPrice | None:
        table = product.by_instance_type.get(instance_type, {}) if instance_type else product.regions
        return table.get(region)

    def attributes(self, product_key: str, region: str, instance_type: str = "") -> dict[str, str]:
        """The Price List filter attributes of one product in one region (what --refresh-prices queries)."""
        product = self.data.products[product_key]
        prefix = "" if product.global_product else usage_type_prefix(region)
        resolved = {key: value.replace("{prefix}", prefix).replace("{instance_type}", instance_type)
                    .replace("{region}", region) for key, value in product.attributes.items()}
        entry = self._entry(product, region, instance_type)
        if entry is not None and entry.usage_type:
            # The snapshot read this usage type in the Price List itself: it wins over the template.
            resolved["usagetype"] = entry.usage_type
        if not product.global_product:
            resolved["regionCode"] = region
        return resolved

    def entries(self) -> list[tuple[str, str, str]]:
        """Every (product, region, instance type) the book lists, for --refresh-prices."""
        found: list[tuple[str, str, str]] = []
        for key, product in self.data.products.items():
            if product.by_instance_type:
                for instance_type, regions in product.by_instance_type.items():
                    found.extend((key, region, instance_type) for region in regions)
            else:
                found.extend((key, region, "") for region in product.regions)
        return found


# Price List usage types carry a region prefix (SAE1-NatGateway-Hours); most us-east-1 usage types have
# none (NodeUsage:cache.r6g.large, LoadBalancerUsage). Services that differ (KMS's `sa-east-1-KMS-Keys`,
# Fargate's USE1-) name their usage type in the region entry (`usage_type`).
_USAGE_PREFIXES = {"us-east-1": "", "sa-east-1": "SAE1-"}


def usage_type_prefix(region: str) -> str:
    return _USAGE_PREFIXES.get(region, "")


def load_price_book(snapshot: Path | None = None, cache_dir: Path | None = None) -> PriceBook:
    """The snapshot (or another price file), overlaid by `cache_dir/prices/prices.json` when present."""
    path = snapshot or SNAPSHOT
    data = _read_price_file(path)
    overrides: dict[tuple[str, str, str], RegionPrice] = {}
    origin = str(path) if snapshot else "the shipped price snapshot"
    if cache_dir is not None and snapshot is None:
        cache = cache_dir / CACHE_NAME
        if cache.is_file():
            overrides = _read_cache(cache)
            origin += f" + {len(overrides)} refreshed prices from {cache}"
    return PriceBook(data, origin, overrides)


def _read_price_file(path: Path) -> PriceFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceFileError(f"{path}: price file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PriceFileError(f"{path}: cannot read the price file: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PriceFileError(f"{path}: the price file is not valid YAML{where}: {getattr(error, 'problem', error)}"
                             ) from None
    if not isinstance(raw, dict):
        raise PriceFileError(f"{path}: the price file must be a mapping with format, locations and products")
    try:
        return PriceFile.model_validate(raw)
    except ValidationError as error:
        raise PriceFileError(f"{path}: the price file is malformed: {_first_problem(error)}") from None


def _read_cache(path: Path) -> dict[tuple[str, str, str], RegionPrice]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        rows = raw["prices"]
        if not isinstance(rows, list):
            raise TypeError("prices is not a list")
        return {(str(row["product"]), str(row["region"]), str(row.get("instance_type", ""))):
                RegionPrice.model_validate({key: row[key] for key in ("usd", "as_of", "source", "usage_type", "sku",
                                                                      "effective") if key in row})
                for row in rows}
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
        detail = _first_problem(error) if isinstance(error, ValidationError) else f"{type(error).__name__}: {error}"
        raise PriceFileError(f"{path}: the refreshed price cache is corrupt ({detail}): delete it or run "
                             "--refresh-prices again") from None


def _first_problem(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(part) for part in item["loc"]) or "(top level)"
    return f"{where}: {item['msg']}"


def cache_rows(book: PriceBook) -> list[dict[str, Any]]:
    """The refreshed prices as rows of the cache file."""
    return [{"product": product, "region": region, "instance_type": instance_type, **entry.model_dump()}
            for (product, region, instance_type), entry in sorted(book.overrides.items())]
