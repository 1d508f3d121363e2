"""Shared pytest set-up: fixtures live in tests/support/ and are registered here.

The suite runs in random order (pytest-randomly: modules, then the tests within each, shuffled; the seed is in
the header, `-p randomly --randomly-seed=N` repeats an order, `-p no:randomly` turns it off). A module whose
tests are one scenario on one shared emulator project, each step building on the one before (first plan, apply,
then the rollback of that apply), says so with `pytestmark = pytest.mark.in_order`: its tests keep their file
order (the module itself still moves among the others).
"""

from __future__ import annotations

import pytest

pytest_plugins: list[str] = ["tests.support.postgres", "tests.support.fake_github", "tests.support.moto_server",
                               "tests.support.fault_proxy"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests of each `in_order` module back in file order, in the places the shuffle gave the module
    (pytest-randomly reorders in a wrapper before every plain implementation of this hook, so this runs after it)."""
    places: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.get_closest_marker("in_order") is not None:
            places.setdefault(str(item.path), []).append(index)
    for indices in places.values():
        ordered = sorted((items[index] for index in indices), key=lambda item: (item.location[1] or 0, item.name))
        for index, item in zip(indices, ordered, strict=True):
            items[index] = item
