# Entry points for people and CI. Each target does its own set-up first (scripts/setup.sh is idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo test lint check bench clean schema providers

setup:
	@bash scripts/setup.sh

## The toolkit's main job on the offline default: emulator + sandbox plan, review, apply, rollback.
demo: setup
	@bash scripts/demo.sh

## Everything CI runs: lint, the import layering (docs/ARCHITECTURE.md), formatting, schema/checkov checks and the
## whole pytest suite.
test: setup
	@$(VENV)/bin/ruff check toolkit tests bench scripts
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/pytest

lint: setup
	@$(VENV)/bin/ruff check toolkit tests bench scripts
	@$(VENV)/bin/lint-imports --no-cache

check: setup
	@$(VENV)/bin/toolkit check

bench: setup
	@$(PY) -m bench.run

## Build tflint, random, Terraform 1.5.7, OpenTofu and the AWS provider 6 (quickest first) from the Go module
## proxy to the end (set-up gives them a budget).
providers: setup
	@TOOLKIT_GO_BUILD_BUDGET=none $(PY) scripts/go_build.py tflint random terraform-1.5 tofu aws --mirror .cache/providers

## Re-extract the typed provider schemas (toolkit/data/provider_schemas/) from the npm packages.
schema: setup
	@$(PY) -m toolkit.checks.schema_extract

clean:
	rm -rf build .toolkit .pytest_cache .ruff_cache
