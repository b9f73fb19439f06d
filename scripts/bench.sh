#!/usr/bin/env bash
# The race (not a test): one Go mock upstream, and in front of it one target after another:
# nothing, a bare undici proxy, Switchboard with 1 and with 2 gateway workers, Portkey's gateway.
# vegeta drives an open loop at 1,000/s and a closed loop, a Go client measures streams' time to
# first byte; three rounds on a quiet machine. Writes bench/RESULTS.md and prints it; then times
# routing decisions with 10 to 10,000 instances (bench/ROUTING-SCALE.md). Takes about 15 minutes on
# an idle two-core machine (more when the load average is slow to settle).
#   npm run bench
#   BENCH_DURATION_S=2 BENCH_REPEATS=1 BENCH_QUIET_WAIT_S=5 npm run bench   # a quick look
# Settings (see bench/gateway-bench.ts and the README): BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_RATE,
# BENCH_CONCURRENCY, BENCH_STREAM_RATE, BENCH_REPEATS, BENCH_QUIET_LOAD, BENCH_QUIET_WAIT_S,
# BENCH_LOAD_HIGH, BENCH_TARGETS; tool versions BENCH_VEGETA_VERSION, BENCH_PORTKEY_VERSION.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-tools.sh"
cd "$SWITCHBOARD_ROOT"

prepare

# The Switchboard targets come from the end-to-end tests' support code, so it reads the same variables.
ensure_test_services

ensure_vegeta
ensure_bench_go_tools
ensure_portkey
export BENCH_TOOLS_DESCRIPTION="vegeta $VEGETA_VERSION and the Go tools built with $("$(find_go)" version | cut -d' ' -f3)"

step "Running the race"
# Ctrl-C and SIGTERM are passed on to the race, which stops everything it started.
node --enable-source-maps dist/bench/gateway-bench.js &
race=$!
trap 'kill -TERM "$race" 2>/dev/null; wait "$race"; exit 130' INT TERM
wait "$race" || fail "the race failed: see the messages above"
trap - INT TERM

step "Timing routing decisions with 10, 1,000 and 10,000 instances (about a minute; bench/ROUTING-SCALE.md)"
node --enable-source-maps dist/bench/routing-scale.js --markdown bench/ROUTING-SCALE.md
