#!/usr/bin/env bash
# make demo: the toolkit's main path, offline, against the moto emulator: offline plans of dev, staging and prod
# (the real root against the stub AWS provider 6), then the `local` environment (the real root, dev's sizing,
# the real AWS provider 6 built by make setup): plan -> review -> apply the saved plan -> plan again (only what
# moto does not echo back may show) -> a bad deployment rolled back. On a machine where the provider 6 build has
# not finished yet, the stand-in `sandbox` root (provider 3.39) takes local's place, said so. Needs `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
TOOLKIT=$ROOT/.venv/bin/toolkit
# The real root needs the AWS provider 6 and random builds (make setup; `make providers` finishes them).
if "$PY" -c 'import sys; from toolkit.checks.real_providers import built_providers; sys.exit(built_providers() is None)'; then
  ENVIRONMENT=local
else
  ENVIRONMENT=sandbox
  printf 'demo: the AWS provider 6 build is not finished on this machine (make providers): the sandbox root stands in\n'
fi
DEMO_DIR=$ROOT/.toolkit/demo
mkdir -p "$DEMO_DIR"
started=$(date +%s)
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# 1. The emulator on a free port; stopped on every exit path.
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "starting the AWS emulator (moto) on 127.0.0.1:$port (log: ${DEMO_DIR#"$ROOT"/}/moto.log)"
# The service runs one task: moto reports ECS tasks as running only with this set, so rollbacks can finish waiting.
MOTO_ECS_SERVICE_RUNNING=1 "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$DEMO_DIR/moto.log" 2>&1 &
moto_pid=$!
stop_emulator() { kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null || true; }
trap stop_emulator EXIT
"$PY" - "$port" <<'PYTHON'
import sys, time, urllib.request
deadline = time.monotonic() + 30
while True:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("the emulator did not answer within 30s (see .toolkit/demo/moto.log)")
        time.sleep(0.2)
PYTHON

# The emulator accepts any credentials; these fake ones keep real ones out of the demo.
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_DEFAULT_REGION=sa-east-1
# An API moto lacks is named while terraform still retries it (docs/ENGINE.md, "Emulator environments").
export TOOLKIT_EMULATOR_LOG=$DEMO_DIR/moto.log
unset AWS_PROFILE

step "validating and rendering every environment (build/ENV/terraform.tfvars, backend files)"
"$TOOLKIT" render --all

step "toolkit envs diff staging prod (what a reviewer compares)"
"$TOOLKIT" envs diff staging prod

step "offline plans of the real environments: terraform/ with each one's values, stub AWS provider 6 (nothing read from AWS)"
set +e; "$TOOLKIT" plan --all --offline --quiet; code=$?; set -e
[ "$code" -eq 2 ] || { echo "demo: expected changes (exit 2) from the offline plans, got exit $code" >&2; exit 1; }

step "creating the state bucket (versioned; $ENVIRONMENT locks with S3 lock files) in the emulator"
"$PY" -m toolkit.engine.bootstrap "$ENVIRONMENT"

step "toolkit plan $ENVIRONMENT"
set +e; "$TOOLKIT" plan "$ENVIRONMENT"; code=$?; set -e
[ "$code" -eq 2 ] || { echo "demo: expected changes (exit 2) from the first plan, got exit $code" >&2; exit 1; }

step "toolkit review $ENVIRONMENT"
"$TOOLKIT" review "$ENVIRONMENT" --format text --output "$DEMO_DIR/review.txt"
cat "$DEMO_DIR/review.txt"

step "toolkit apply $ENVIRONMENT (the saved plan)"
"$TOOLKIT" apply "$ENVIRONMENT"

if [ "$ENVIRONMENT" = sandbox ]; then
  step "toolkit plan $ENVIRONMENT (again: must show no changes)"
  set +e; "$TOOLKIT" plan "$ENVIRONMENT"; code=$?; set -e
  [ "$code" -eq 0 ] || { echo "demo: the plan after apply should show no changes (exit 0), got exit $code" >&2; exit 1; }
else
  step "toolkit plan $ENVIRONMENT (again: only what moto does not echo back may show; docs/ENGINE.md)"
  set +e; "$TOOLKIT" plan "$ENVIRONMENT" --format json >"$DEMO_DIR/replan.json"; code=$?; set -e
  "$PY" - "$DEMO_DIR/replan.json" "$code" <<'PYTHON'
import json, sys
outcome, code = json.load(open(sys.argv[1])), int(sys.argv[2])
gaps = outcome.get("emulator_echo_gaps") or {"known": [], "unexplained": []}
print(f"{outcome['environment']}: {outcome['status']}: {outcome['add']} to add, {outcome['change']} to change, "
      f"{outcome['destroy']} to destroy; moto echo gaps: {', '.join('.'.join(p) for p in gaps['known']) or 'none'}")
if code not in (0, 2) or outcome["add"] or outcome["destroy"] or gaps["unexplained"]:
    sys.exit(f"demo: the plan after apply should change nothing but moto's echo gaps (exit {code}); other "
             f"changes: {gaps['unexplained']}")
PYTHON
fi

# The incident: a bad task definition revision goes out, and `toolkit rollback` brings the service back
# (scripts/demo_rollback.sh, against the same emulator and environment).
step "rollback demo"
ENVIRONMENT=$ENVIRONMENT bash scripts/demo_rollback.sh

data=.toolkit/envs/$ENVIRONMENT
step "done in $(($(date +%s) - started))s; artifacts:"
cat <<TEXT
  plans (newest = latest/):  $data/plans/   plan.tfplan, plan.json, metadata.json
  review:                    ${DEMO_DIR#"$ROOT"/}/review.txt
  checkpoints (rollback):    beside the state in the emulator's S3 (toolkit/ under the state key; toolkit checkpoints $ENVIRONMENT)
  rendered inputs:           build/$ENVIRONMENT/   terraform.tfvars, backend.tf, backend.hcl
  staged root + TF_DATA_DIR: $data/stage/   $data/terraform/
The emulator stops now; its state is gone with it.
TEXT
