#!/usr/bin/env bash
# Runs every test: unit specs beside the code and integration tests under test/, against the
# running Postgres and Redis and real Consul dev agents that the tests start on free ports.
#   npm test                      # everything
#   npm test -- dist/test/consul  # only what matches (paths or globs of compiled files)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

prepare

step "Locating Consul (built once from the Go module proxy when missing; cached afterwards)"
CONSUL_BIN="$(bash consul/scripts/install_consul.sh --version)" || fail "no Consul binary: see the messages above"
export CONSUL_BIN

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
