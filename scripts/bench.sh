#!/usr/bin/env bash
# The gateway benchmark (not a test): the provider simulator as a fast upstream, the same load sent
# to it directly, through a bare undici proxy and through the api-gateway with every feature on.
# Writes bench/RESULTS.md and prints it. Takes about two minutes.
#   npm run bench
#   BENCH_SECONDS=3 BENCH_WARMUP_SECONDS=1 npm run bench   # a quick look (see bench/gateway-bench.ts)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

prepare

# The stack comes from the end-to-end tests' support code, so it reads the same variables.
ensure_test_services

step "Running the benchmark"
# exec: Ctrl-C and SIGTERM go straight to the benchmark, which stops everything it started.
exec node --enable-source-maps dist/bench/gateway-bench.js
