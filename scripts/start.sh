#!/usr/bin/env bash
# Starts the whole stack locally: a Consul dev agent (built first if needed), database migrations,
# the provider simulator (the demo upstream) and the four apps, then waits until Consul reports them
# passing, seeds one demo provider instance per provider when there are none, and prints the URLs.
# Ctrl-C (or SIGTERM) stops the apps gracefully, then the Consul agent this script started.
#
# Uses the running Postgres and Redis; override with DATABASE_URL and REDIS_URL. Set
# CONSUL_HTTP_ADDR to use a Consul you already run instead of starting a dev agent, and
# API_GATEWAY_PORT, INSTANCE_MANAGER_PORT, INTELLIGENT_ROUTER_PORT, LOAD_BALANCER_PORT for ports.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/switchboard}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export CONSUL_HTTP_ADDR="${CONSUL_HTTP_ADDR:-http://127.0.0.1:8500}"
export SERVICE_ADDRESS="${SERVICE_ADDRESS:-127.0.0.1}"
export NODE_ENV="${NODE_ENV:-development}"
run_dir="$SWITCHBOARD_ROOT/.run"
log_dir="$run_dir/logs"
apps=(api-gateway instance-manager intelligent-router load-balancer)
declare -A ports=([api-gateway]=8000 [instance-manager]=8001 [intelligent-router]=8002 [load-balancer]=8003)
for app in "${apps[@]}"; do # API_GATEWAY_PORT=9000 npm start, and so on
  port_var="$(printf '%s_PORT' "${app//-/_}" | tr '[:lower:]' '[:upper:]')"
  ports[$app]="${!port_var:-${ports[$app]}}"
done
pids=()
consul_pid=""

stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    step "Stopping the apps (they deregister from Consul first)"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ -n "$consul_pid" ]; then
    step "Stopping the Consul dev agent"
    kill -TERM "$consul_pid" 2>/dev/null || true
    # Not our child (it runs in a session of its own): wait for it by polling.
    for _ in $(seq 1 100); do kill -0 "$consul_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  step "Stopped"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

prepare
mkdir -p "$log_dir"

# Development secrets, made once and kept: CREDENTIALS_KEY must stay the same or stored provider
# keys become unreadable.
secrets="$run_dir/dev-secrets.env"
if [ ! -f "$secrets" ]; then
  umask 077
  printf 'ADMIN_TOKEN=%s\nCREDENTIALS_KEY=%s\n' "$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')" \
    "$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" >"$secrets"
fi
# The client key of the quick start (the gateway creates it at start-up); added to older files.
if ! grep -q '^BOOTSTRAP_CLIENT_KEY=' "$secrets"; then
  (umask 077 && printf 'BOOTSTRAP_CLIENT_KEY=sb-dev-%s\n' "$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')" >>"$secrets")
fi
set -a; source "$secrets"; set +a

consul_port="$(node -e 'console.log(new URL(process.argv[1]).port || 8500)' "$CONSUL_HTTP_ADDR")"
if curl -fsS "$CONSUL_HTTP_ADDR/v1/status/leader" >/dev/null 2>&1; then
  step "Using the Consul already answering at $CONSUL_HTTP_ADDR"
else
  step "Starting a Consul dev agent on 127.0.0.1:$consul_port (log: .run/logs/consul.log)"
  consul_pid="$(CONSUL_HTTP_PORT="$consul_port" CONSUL_LOG_FILE="$log_dir/consul.log" \
    bash consul/scripts/start_dev_agent.sh --background)" || fail "the Consul dev agent did not start: see .run/logs/consul.log"
fi

step "Applying database migrations to $(node -e 'const u = new URL(process.argv[1]); console.log(u.host + u.pathname)' "$DATABASE_URL")"
node scripts/run-app.mjs migrate || fail "migrations failed: is PostgreSQL running at DATABASE_URL?"

simulator_port="${SIMULATOR_PORT:-8100}"
simulator_base_port="${SIMULATOR_BASE_PORT:-8110}"
demo_key="demo-simulator-key"
step "Starting the provider simulator (control API on 127.0.0.1:$simulator_port)"
SIMULATOR_PORT="$simulator_port" SIMULATOR_BASE_PORT="$simulator_base_port" SIMULATOR_API_KEY="$demo_key" \
  SIMULATOR_INSTANCES="openai:openai-demo,claude:claude-demo,zai:zai-demo,perplexity:perplexity-demo" \
  node scripts/run-app.mjs provider-simulator >"$log_dir/provider-simulator.log" 2>&1 &
pids+=($!)

for app in "${apps[@]}"; do
  PORT="${ports[$app]}" node --enable-source-maps scripts/run-app.mjs "$app" >"$log_dir/$app.log" 2>&1 &
  pids+=($!)
done

step "Waiting for the four apps to pass their Consul checks"
deadline=$(( $(date +%s) + 60 ))
for app in "${apps[@]}"; do
  until curl -fsS "$CONSUL_HTTP_ADDR/v1/health/service/$app?passing=true" 2>/dev/null | grep -q '"ServiceID"'; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || fail "an app exited during start-up; see the logs in .run/logs/ (last lines: $(tail -n 3 "$log_dir"/*.log | tail -n 3))"
    done
    [ "$(date +%s)" -lt "$deadline" ] || fail "$app did not pass its Consul check within 60s; see .run/logs/$app.log"
    sleep 0.5
  done
done

admin_url="http://127.0.0.1:${ports[instance-manager]}/admin"
# The token reaches curl in a file, not on its command line where `ps` would show it.
auth="@$run_dir/admin-header"
(umask 077 && printf 'authorization: Bearer %s\n' "$ADMIN_TOKEN" >"$run_dir/admin-header")
count=$(curl -fsS -H "$auth" "$admin_url/instances?pageSize=1" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).total))') \
  || fail "the admin API did not answer; see .run/logs/instance-manager.log"
if [ "$count" = "0" ]; then
  step "Seeding one demo instance per provider, served by the provider simulator"
  seed() { # seed NAME PROVIDER BASE_URL MODELS_JSON
    curl -fsS -o /dev/null -H "$auth" -H 'content-type: application/json' -H 'x-admin-actor: quick-start' "$admin_url/instances" \
      -d "{\"name\":\"$1\",\"provider\":\"$2\",\"baseUrl\":\"$3\",\"models\":$4,\"apiKey\":\"$demo_key\",\"tags\":[\"demo\"]}" \
      || fail "could not seed $1; see .run/logs/instance-manager.log"
  }
  seed openai-demo openai "http://127.0.0.1:$simulator_base_port/v1" '["gpt-4o","gpt-4o-mini"]'
  seed claude-demo claude "http://127.0.0.1:$((simulator_base_port + 1))" '["claude-sonnet-4-6","claude-opus-4-7","claude-haiku-4-5"]'
  seed zai-demo zai "http://127.0.0.1:$((simulator_base_port + 2))/api/paas/v4" '["glm-4.6","glm-4.5","glm-4.5-air"]'
  seed perplexity-demo perplexity "http://127.0.0.1:$((simulator_base_port + 3))" '["sonar","sonar-pro","sonar-reasoning"]'
fi

cat <<EOF

Switchboard is up.
  Consul UI           $CONSUL_HTTP_ADDR/ui
  api-gateway         http://127.0.0.1:${ports[api-gateway]}
  instance-manager    http://127.0.0.1:${ports[instance-manager]}
  intelligent-router  http://127.0.0.1:${ports[intelligent-router]}
  load-balancer       http://127.0.0.1:${ports[load-balancer]}
  admin API docs      http://127.0.0.1:${ports[instance-manager]}/docs  (token: ADMIN_TOKEN in .run/dev-secrets.env)
  provider simulator  http://127.0.0.1:$simulator_port/instances  (demo upstreams on ports $simulator_base_port-$((simulator_base_port + 3)))
  each app also serves /health/live, /health/ready and /metrics
  logs                .run/logs/*.log (JSON lines)

Try it (after: set -a; source .run/dev-secrets.env; set +a):
  curl -s http://127.0.0.1:${ports[api-gateway]}/v1/chat/completions -H "authorization: Bearer \$BOOTSTRAP_CLIENT_KEY" \\
    -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello!"}]}'

Press Ctrl-C to stop everything.
EOF

# Returns when any app exits (a crash) or when a signal arrives.
wait -n "${pids[@]}" || true
fail "an app stopped unexpectedly; see the logs in .run/logs/"
