"""Shared pytest set-up: fixtures live in tests/support/ and are registered here."""

pytest_plugins: list[str] = ["tests.support.postgres", "tests.support.fake_github", "tests.support.moto_server",
                               "tests.support.fault_proxy"]
