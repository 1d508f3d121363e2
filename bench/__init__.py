"""Benchmarks and the plan generator they share with tests."""
