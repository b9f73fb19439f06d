#!/usr/bin/env bash
# Writes the Consul Connect intentions in consul/connect/ (config entries of kind
# service-intentions) to the cluster at CONSUL_HTTP_ADDR: default deny, then exactly the
# connections Switchboard needs (the apps to PostgreSQL and Redis). Idempotent.
#   CONSUL_HTTP_TOKEN (or CONSUL_HTTP_TOKEN_FILE) needs intentions:write (operator or a
#   management token); CONSUL_BIN names the consul binary (default: consul on PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
consul="${CONSUL_BIN:-consul}"
command -v "$consul" >/dev/null 2>&1 || { echo "error: no consul binary: set CONSUL_BIN or run consul/scripts/install_consul.sh" >&2; exit 1; }
for entry in "$here/connect/default-deny.hcl" "$here/connect/postgres.hcl" "$here/connect/redis.hcl"; do
  echo "==> consul config write ${entry#"$here/"}" >&2
  "$consul" config write "$entry" >&2 || {
    echo "error: Consul refused ${entry#"$here/"}: check CONSUL_HTTP_ADDR and that the token may write intentions" >&2
    exit 1
  }
done
