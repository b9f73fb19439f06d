#!/usr/bin/env bash
# The Consul CLI the project built (or the one on PATH), against the stack's agent:
#   npm run consul -- kv get switchboard/config/routing-policy
#   npm run consul -- catalog services
# CONSUL_HTTP_ADDR defaults to the address npm start uses.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"
consul_bin="$(bash consul/scripts/install_consul.sh)" || fail "no Consul binary: see the messages above"
export CONSUL_HTTP_ADDR="${CONSUL_HTTP_ADDR:-http://127.0.0.1:8500}"
exec "$consul_bin" "$@"
