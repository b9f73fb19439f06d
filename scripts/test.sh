#!/usr/bin/env bash
# Runs every test: unit specs beside the code and integration tests under test/, against the
# running Postgres and Redis and real Consul dev agents that the tests start on free ports.
#   npm test                      # everything
#   npm test -- dist/test/consul  # only what matches (paths or globs of compiled files); the
#                                 # observability and deploy tools only when those tests run
#   SKIP_LINT=1 npm test -- …     # without the format and lint check
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

prepare

# Style first: it fails in a second, where the tests take minutes. SKIP_LINT=1 skips it while iterating.
if [ "${SKIP_LINT:-0}" != 1 ]; then
  step "Checking format and lint (Biome; npm run format fixes most findings)"
  node node_modules/@biomejs/biome/bin/biome ci --reporter=summary --colors=off . || fail "format or lint findings: run npm run format, then fix what remains by hand"
fi

ensure_test_services
# The first time, these take an apt-get install and Go builds of minutes: only for a run that
# includes the tests using them.
if tests_include test/observability "$@"; then ensure_prometheus_tools; fi
if tests_include test/deploy "$@"; then ensure_deploy_tools; fi
if tests_include test/console "$@"; then ensure_chromium; fi

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
node --enable-source-maps --test \
  --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout="${TEST_TIMEOUT_MS:-240000}" "${targets[@]}"
step "Tests finished in $(( $(date +%s) - started ))s"
