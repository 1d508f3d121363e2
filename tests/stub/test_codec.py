"""cty values on the wire (stub_provider/cty.py): the encoding Terraform itself uses."""

from __future__ import annotations

import msgpack
import pytest

from stub_provider.cty import UNKNOWN, CtyError, Dynamic, decode, encode

OBJECT = ["object", {"name": "string", "size": "number", "tags": ["map", "string"], "ports": ["set", "number"],
                     "on": "bool", "extra": "dynamic"}]


def test_an_object_round_trips_with_every_attribute_present() -> None:
    value = {"name": "a", "size": 3, "tags": {"k": "v"}, "ports": [443, 80], "on": True,
             "extra": Dynamic(["list", "string"], ["x"])}
    assert decode(encode(value, OBJECT), OBJECT) == value
    missing = decode(encode({"name": "a"}, OBJECT), OBJECT)
    assert missing == {"name": "a", "size": None, "tags": None, "ports": None, "on": None, "extra": None}


def test_unknown_is_msgpack_extension_zero_and_refined_unknowns_decode_too() -> None:
    assert encode(UNKNOWN, "string") == b"\xd4\x00\x00"
    assert decode(b"\xd4\x00\x00", "string") is UNKNOWN
    refined = msgpack.packb(msgpack.ExtType(12, msgpack.packb({1: True})))
    assert decode(refined, ["list", "string"]) is UNKNOWN
    assert decode(encode({"name": UNKNOWN}, OBJECT), OBJECT)["name"] is UNKNOWN


def test_dynamic_values_travel_with_their_type() -> None:
    wire = msgpack.unpackb(encode(Dynamic("string", "x"), "dynamic"))
    assert wire == [b'"string"', "x"]
    assert decode(encode({"a": 1}, "dynamic"), "dynamic") == Dynamic(["object", {"a": "number"}], {"a": 1})
    assert msgpack.unpackb(encode(UNKNOWN, "dynamic"), ext_hook=lambda code, data: code) == 0


def test_big_numbers_sent_as_strings_are_numbers() -> None:
    assert decode(msgpack.packb("12345678901234567890"), "number") == 12345678901234567890
    assert decode(msgpack.packb("1.5"), "number") == 1.5


def test_a_value_of_the_wrong_type_is_an_error() -> None:
    with pytest.raises(CtyError, match="expected a bool, got str"):
        decode(msgpack.packb("yes"), "bool")


def test_numbers_beyond_64_bits_round_trip_as_strings() -> None:
    huge = 2**70 + 1
    assert decode(encode(huge, "number"), "number") == huge
