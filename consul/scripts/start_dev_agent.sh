#!/usr/bin/env bash
# Starts a Consul dev agent on loopback: in-memory, single node, UI on, Prometheus telemetry on.
#
#   consul/scripts/start_dev_agent.sh               # foreground (Ctrl-C stops it)
#   consul/scripts/start_dev_agent.sh --background  # detach, wait for a leader, print the PID
#
# Every port is configurable, so that parallel test runs do not collide:
#   CONSUL_HTTP_PORT (8500) CONSUL_DNS_PORT (8600) CONSUL_GRPC_PORT (8502)
#   CONSUL_SERVER_PORT (8300) CONSUL_SERF_LAN_PORT (8301) CONSUL_SERF_WAN_PORT (8302)
# ACLs: CONSUL_ACL=1 turns them on with default policy deny, and CONSUL_MANAGEMENT_TOKEN (a UUID)
# becomes the initial management token (one is generated and printed to stderr if unset).
# CONSUL_HTTPS_PORT (off) serves the API over TLS too, with the files named in CONSUL_EXTRA_HCL;
# CONSUL_EXTRA_HCL is one more HCL snippet passed as -hcl (tls blocks, limits, ...).
# CONSUL_LOG_FILE (with --background; default .run/consul-dev.log) receives the agent's output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
consul_bin="$("$here/install_consul.sh")"

http_port="${CONSUL_HTTP_PORT:-8500}"
dns_port="${CONSUL_DNS_PORT:-8600}"
grpc_port="${CONSUL_GRPC_PORT:-8502}"
server_port="${CONSUL_SERVER_PORT:-8300}"
serf_lan_port="${CONSUL_SERF_LAN_PORT:-8301}"
serf_wan_port="${CONSUL_SERF_WAN_PORT:-8302}"
node_name="${CONSUL_NODE_NAME:-switchboard-dev}"

args=(agent -dev -ui -bind 127.0.0.1 -client 127.0.0.1 -node "$node_name"
  -hcl "ports { http = $http_port, dns = $dns_port, grpc = $grpc_port, server = $server_port, serf_lan = $serf_lan_port, serf_wan = $serf_wan_port, grpc_tls = -1 }"
  # Check results reach the catalog at once instead of being coalesced for up to 5 minutes.
  -hcl 'check_update_interval = "0s"'
  -hcl 'telemetry { prometheus_retention_time = "60s", disable_hostname = true }'
  -hcl 'disable_update_check = true')

if [ -n "${CONSUL_HTTPS_PORT:-}" ]; then args+=(-hcl "ports { https = $CONSUL_HTTPS_PORT }"); fi
if [ -n "${CONSUL_EXTRA_HCL:-}" ]; then args+=(-hcl "$CONSUL_EXTRA_HCL"); fi

if [ "${CONSUL_ACL:-0}" = "1" ]; then
  token="${CONSUL_MANAGEMENT_TOKEN:-}"
  if [ -z "$token" ]; then
    token="$(cat /proc/sys/kernel/random/uuid)"
    printf 'Consul ACLs on; initial management token: %s\n' "$token" >&2
  fi
  # In a file readable by us only, not on the command line where `ps` would show it.
  acl_file="$(mktemp "${TMPDIR:-/tmp}/consul-acl.XXXXXX.hcl")"
  chmod 600 "$acl_file"
  printf 'acl { enabled = true, default_policy = "deny", enable_token_persistence = false, tokens { initial_management = "%s" } }\n' "$token" >"$acl_file"
  args+=(-config-file "$acl_file")
fi

if [ "${1:-}" != "--background" ]; then
  exec "$consul_bin" "${args[@]}"
fi

log_file="${CONSUL_LOG_FILE:-.run/consul-dev.log}"
mkdir -p "$(dirname "$log_file")"
# A session of its own: Ctrl-C in the terminal must not reach the agent before the apps that
# deregister from it have stopped (the caller stops it last).
setsid "$consul_bin" "${args[@]}" >"$log_file" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    printf 'Consul dev agent exited during start-up; last lines of %s:\n' "$log_file" >&2
    tail -n 20 "$log_file" >&2
    exit 1
  fi
  leader=$(curl -fsS "http://127.0.0.1:$http_port/v1/status/leader" 2>/dev/null || true)
  if [ -n "$leader" ] && [ "$leader" != '""' ]; then
    printf '%s\n' "$pid"
    exit 0
  fi
  sleep 0.2
done
kill "$pid" 2>/dev/null || true
printf 'Consul dev agent elected no leader within 20s; see %s\n' "$log_file" >&2
exit 1
