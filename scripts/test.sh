#!/usr/bin/env bash
# Runs every test: unit specs beside the code and integration tests under test/, against the
# running Postgres and Redis and real Consul dev agents that the tests start on free ports.
#   npm test                      # everything
#   npm test -- dist/test/consul  # only what matches (paths or globs of compiled files)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

prepare

ensure_test_services

if [ "$#" -gt 0 ]; then
  targets=()
  for target in "$@"; do
    if [ -d "$target" ]; then targets+=("$target/**/*.spec.js" "$target/**/*.test.js"); else targets+=("$target"); fi
  done
else
  targets=("dist/libs/**/*.spec.js" "dist/apps/**/*.spec.js" "dist/test/**/*.test.js")
fi

step "Running tests"
started=$(date +%s)
node --import ./scripts/register-aliases.mjs --enable-source-maps --test \
  --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout="${TEST_TIMEOUT_MS:-240000}" "${targets[@]}"
step "Tests finished in $(( $(date +%s) - started ))s"
