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

step "Locating Consul (built once from the Go module proxy when missing; cached afterwards)"
CONSUL_BIN="$(bash consul/scripts/install_consul.sh --version)" || fail "no Consul binary: see the messages above"
export CONSUL_BIN

# The stack comes from the end-to-end tests' support code, so it reads the same variables.
database_url="${TEST_DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
node -e '
  const net = require("node:net");
  const [pgUrl, redisUrl] = process.argv.slice(1).map((u) => new URL(u));
  const probe = (url, port, what, hint) => new Promise((ok) => {
    const socket = net.connect(Number(url.port || port), url.hostname, () => { socket.end(); ok(); });
    socket.setTimeout(2000, () => socket.destroy(new Error("timeout")));
    socket.on("error", (e) => { console.error(`error: ${what} is not reachable at ${url.host} (${e.message}). ${hint}`); process.exit(1); });
  });
  Promise.all([
    probe(pgUrl, 5432, "PostgreSQL", "Start it, or point TEST_DATABASE_ADMIN_URL at one (trust auth, a user that may CREATE DATABASE)."),
    probe(redisUrl, 6379, "Redis", "Start it, or point TEST_REDIS_URL at one."),
  ]);
' "$database_url" "$redis_url"

step "Running the benchmark"
# exec: Ctrl-C and SIGTERM go straight to the benchmark, which stops everything it started.
exec node --import ./scripts/register-aliases.mjs --enable-source-maps dist/bench/gateway-bench.js
