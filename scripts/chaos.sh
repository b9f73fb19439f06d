#!/usr/bin/env bash
# The chaos run (not a test): the data plane through a Postgres, Redis and Consul outage, a
# flapping instance, a rejected provider key and twice its capacity, on private loopback copies of
# everything. Prints one table. Takes about seven minutes (CHAOS_SCALE=0.3 for a quicker look).
#   npm run chaos
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

prepare
ensure_test_services
command -v initdb >/dev/null && command -v pg_ctl >/dev/null \
  || fail "initdb and pg_ctl are needed for the private PostgreSQL: install PostgreSQL's server package"
command -v "${REDIS_SERVER_BIN:-redis-server}" >/dev/null || fail "redis-server is needed: install redis-server"

step "Running the chaos scenarios"
exec node --enable-source-maps dist/bench/chaos.js
