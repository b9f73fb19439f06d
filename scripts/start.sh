#!/usr/bin/env bash
# Starts the whole stack locally: a Consul dev agent (built first if needed), database migrations,
# the provider simulator (the demo upstream) and the four apps, then waits until Consul reports them
# passing, brings the demo provider instances in line with the simulator, and prints the URLs.
# Ctrl-C (or SIGTERM) stops the apps gracefully, then the Consul agent this script started.
#
# Uses the running Postgres and Redis; override with DATABASE_URL and REDIS_URL. Set
# CONSUL_HTTP_ADDR to use a Consul you already run instead of starting a dev agent (on another
# port than 8500, the agent's other ports are picked free unless CONSUL_*_PORT are set), and
# API_GATEWAY_PORT, INSTANCE_MANAGER_PORT, INTELLIGENT_ROUTER_PORT, LOAD_BALANCER_PORT,
# SIMULATOR_PORT (control API) and SIMULATOR_BASE_PORT (the four demo upstreams) for ports.
# START_TIMEOUT_S (180) is how long the apps may take to pass their Consul checks (and then the
# api-gateway to route to the demo instances); an app that misses it or exits during start-up
# stops the script with the last lines of its log and what to do next.
#
# PostgreSQL and Redis are registered in Consul as services with TCP checks (host and port only),
# unless START_REGISTER_INFRASTRUCTURE=0.
#
# Secrets: ADMIN_TOKEN, CREDENTIALS_KEY and BOOTSTRAP_CLIENT_KEY are made once into
# .run/dev-secrets.env and reused; each one set in the environment wins over the file.
#
# Demo instances: on every start, the four demo instances (openai-demo, claude-demo, zai-demo,
# perplexity-demo, tagged demo; see scripts/lib/demo-instances.mjs) are created when missing and
# otherwise pointed at this run's simulator ports with their key stored again (which also repairs a
# key stored with another CREDENTIALS_KEY). Other instances are left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SWITCHBOARD_ROOT"

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/switchboard}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export CONSUL_HTTP_ADDR="${CONSUL_HTTP_ADDR:-http://127.0.0.1:8500}"
export SERVICE_ADDRESS="${SERVICE_ADDRESS:-127.0.0.1}"
export NODE_ENV="${NODE_ENV:-development}"
start_timeout="${START_TIMEOUT_S:-180}"
[[ "$start_timeout" =~ ^[1-9][0-9]*$ ]] || fail "START_TIMEOUT_S must be a whole number of seconds above 0, not \"$start_timeout\""
run_dir="$SWITCHBOARD_ROOT/.run"
log_dir="$run_dir/logs"
apps=(api-gateway instance-manager intelligent-router load-balancer)
declare -A ports=([api-gateway]=8000 [instance-manager]=8001 [intelligent-router]=8002 [load-balancer]=8003)
for app in "${apps[@]}"; do # API_GATEWAY_PORT=9000 npm start, and so on
  port_var="$(printf '%s_PORT' "${app//-/_}" | tr '[:lower:]' '[:upper:]')"
  ports[$app]="${!port_var:-${ports[$app]}}"
done
pids=()
declare -A app_of_pid=()
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
# What is already set in the environment wins over the file (BOOTSTRAP_CLIENT_KEY=... npm start).
declare -A from_environment=()
for name in ADMIN_TOKEN CREDENTIALS_KEY BOOTSTRAP_CLIENT_KEY; do
  if [ -n "${!name:-}" ]; then from_environment[$name]="${!name}"; fi
done
set -a; source "$secrets"; set +a
for name in "${!from_environment[@]}"; do
  export "$name=${from_environment[$name]}"
  step "$name comes from the environment (not from .run/dev-secrets.env)"
done

consul_port="$(node -e 'console.log(new URL(process.argv[1]).port || 8500)' "$CONSUL_HTTP_ADDR")"
if curl -fsS "$CONSUL_HTTP_ADDR/v1/status/leader" >/dev/null 2>&1; then
  step "Using the Consul already answering at $CONSUL_HTTP_ADDR"
else
  step "Starting a Consul dev agent on 127.0.0.1:$consul_port (log: .run/logs/consul.log)"
  if [ "$consul_port" != 8500 ]; then
    # Beside another agent on the default ports: its DNS, gRPC, server and serf ports would collide.
    read -r -a free < <(node -e '
      const net = require("node:net");
      const servers = Array.from({ length: 5 }, () => net.createServer().listen(0, "127.0.0.1"));
      Promise.all(servers.map((s) => new Promise((ok) => s.on("listening", ok)))).then(() => {
        console.log(servers.map((s) => s.address().port).join(" "));
        for (const s of servers) s.close();
      });')
    export CONSUL_DNS_PORT="${CONSUL_DNS_PORT:-${free[0]}}" CONSUL_GRPC_PORT="${CONSUL_GRPC_PORT:-${free[1]}}" \
      CONSUL_SERVER_PORT="${CONSUL_SERVER_PORT:-${free[2]}}" CONSUL_SERF_LAN_PORT="${CONSUL_SERF_LAN_PORT:-${free[3]}}" \
      CONSUL_SERF_WAN_PORT="${CONSUL_SERF_WAN_PORT:-${free[4]}}"
  fi
  consul_pid="$(CONSUL_HTTP_PORT="$consul_port" CONSUL_LOG_FILE="$log_dir/consul.log" \
    bash consul/scripts/start_dev_agent.sh --background)" || fail "the Consul dev agent did not start: see .run/logs/consul.log"
fi

# The UI then shows the whole system: PostgreSQL and Redis beside the apps, with TCP checks the agent runs.
if [ "${START_REGISTER_INFRASTRUCTURE:-1}" = 1 ]; then
  step "Registering PostgreSQL and Redis in Consul (START_REGISTER_INFRASTRUCTURE=0 skips this)"
  node scripts/lib/register-infrastructure.mjs || fail "see the message above, or skip this step with START_REGISTER_INFRASTRUCTURE=0"
fi

step "Applying database migrations to $(node -e 'const u = new URL(process.argv[1]); console.log(u.host + u.pathname)' "$DATABASE_URL")"
node scripts/run-app.mjs migrate || fail "migrations failed: is PostgreSQL running at DATABASE_URL?"

simulator_port="${SIMULATOR_PORT:-8100}"
simulator_base_port="${SIMULATOR_BASE_PORT:-8110}"
demo_key="demo-simulator-key"
# A port already taken (often by another npm start) would make an app exit, while the other
# stack's Consul registrations made this one look up: refuse at once, naming the setting.
port_settings=("$simulator_port:SIMULATOR_PORT")
for offset in 0 1 2 3; do port_settings+=("$((simulator_base_port + offset)):SIMULATOR_BASE_PORT"); done
for app in "${apps[@]}"; do
  port_settings+=("${ports[$app]}:$(printf '%s_PORT' "${app//-/_}" | tr '[:lower:]' '[:upper:]')")
done
taken="$(node -e '
  const net = require("node:net");
  const checks = process.argv.slice(1).map((entry) => {
    const [port, setting] = entry.split(":");
    return new Promise((done) => {
      const server = net.createServer().once("error", () => done(`${port} (${setting})`));
      server.listen(Number(port), "127.0.0.1", () => server.close(() => done(undefined)));
    });
  });
  Promise.all(checks).then((results) => console.log(results.filter(Boolean).join(", ")));
' "${port_settings[@]}")"
[ -z "$taken" ] || fail "these ports are in use: $taken. Is another npm start running? Stop it (Ctrl-C there), or choose other ports with the settings named"

step "Starting the provider simulator (control API on 127.0.0.1:$simulator_port)"
SIMULATOR_PORT="$simulator_port" SIMULATOR_BASE_PORT="$simulator_base_port" SIMULATOR_API_KEY="$demo_key" \
  SIMULATOR_INSTANCES="$(node scripts/lib/demo-instances.mjs simulator-instances)" \
  node scripts/run-app.mjs provider-simulator >"$log_dir/provider-simulator.log" 2>&1 &
pids+=($!)
app_of_pid[$!]=provider-simulator

for app in "${apps[@]}"; do
  PORT="${ports[$app]}" node --enable-source-maps scripts/run-app.mjs "$app" >"$log_dir/$app.log" 2>&1 &
  pids+=($!)
  app_of_pid[$!]=$app
done

# Stops the script with the last lines of APP's log (readable, not JSON) and what to do next.
fail_with_log() { # fail_with_log APP MESSAGE NEXT
  printf '
error: %s

Last lines of .run/logs/%s.log:
' "$2" "$1" >&2
  node scripts/lib/log-tail.mjs "$log_dir/$1.log" 20 >&2 || tail -n 20 "$log_dir/$1.log" >&2 || true
  printf '
What to do: %s
' "$3" >&2
  exit 1
}
exited_during_start_up() { # exited_during_start_up APP
  local port_setting
  port_setting="$(printf '%s_PORT' "${1//-/_}" | tr '[:lower:]' '[:upper:]')"
  if [ "$1" = provider-simulator ]; then port_setting="SIMULATOR_PORT or SIMULATOR_BASE_PORT"; fi
  fail_with_log "$1" "$1 exited during start-up" \
    "read the lines above: a bad setting is named there, EADDRINUSE means a port is taken (set $port_setting to another one), a connection error names the PostgreSQL, Redis or Consul it could not reach. The whole log is .run/logs/$1.log."
}

# The token reaches curl in a file, not on its command line where `ps` would show it.
auth="@$run_dir/admin-header"
(umask 077 && printf 'authorization: Bearer %s\n' "$ADMIN_TOKEN" >"$run_dir/admin-header")
step "Waiting for the four apps to pass their Consul checks (at most ${start_timeout}s: START_TIMEOUT_S)"
deadline=$(( $(date +%s) + start_timeout ))
for app in "${apps[@]}"; do
  until curl -fsS "$CONSUL_HTTP_ADDR/v1/health/service/$app?passing=true" 2>/dev/null | grep -q '"ServiceID"'; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || exited_during_start_up "${app_of_pid[$pid]}"
    done
    if [ "$(date +%s)" -ge "$deadline" ]; then
      ready="$(curl -sS --max-time 2 -H "$auth" "http://127.0.0.1:${ports[$app]}/health/ready" 2>/dev/null)" ||
        ready="no answer (it does not listen on port ${ports[$app]} yet)"
      fail_with_log "$app" "$app did not pass its Consul check within ${start_timeout}s (START_TIMEOUT_S); its /health/ready answers: $ready" \
        "read the lines above and the readiness answer (it names the dependency that is not ready). If the app is only slow (a loaded machine, a first start), give it longer: START_TIMEOUT_S=600 npm start. The whole log is .run/logs/$app.log."
    fi
    sleep 0.5
  done
done

admin_url="http://127.0.0.1:${ports[instance-manager]}/admin"
# The admin API's answer to one call, or a stop that shows its error message (which holds no secret).
admin_call() { # admin_call METHOD PATH [BODY]
  local answer="$run_dir/admin-answer" status
  status=$(curl -sS -o "$answer" -w '%{http_code}' -X "$1" -H "$auth" -H 'content-type: application/json' \
    -H 'x-admin-actor: quick-start' "$admin_url$2" ${3:+-d "$3"}) || fail "the admin API did not answer; see .run/logs/instance-manager.log"
  case "$status" in
    2*) cat "$answer"; rm -f "$answer" ;;
    *) fail "$1 /admin$2 answered HTTP $status: $(cat "$answer"); see .run/logs/instance-manager.log" ;;
  esac
}

step "Bringing the demo instances in line with the provider simulator (ports $simulator_base_port-$((simulator_base_port + 3)))"
pages="$run_dir/instances.jsonl"
: >"$pages"
page=1
while [ -n "$page" ]; do
  { admin_call GET "/instances?pageSize=500&page=$page"; printf '\n'; } >>"$pages"
  page="$(node scripts/lib/demo-instances.mjs next-page <"$pages")"
done
plan="$(node scripts/lib/demo-instances.mjs plan "$simulator_base_port" "$demo_key" <"$pages")" \
  || fail "could not read the instance list of the admin API"
rm -f "$pages"
demo_names=()
while IFS=$'\t' read -r action name id note body; do
  case "$action" in
    create) admin_call POST /instances "$body" >/dev/null ;;
    update) admin_call PATCH "/instances/$id" "$body" >/dev/null ;;
    skip) printf 'warning: %s\n' "$note" >&2; continue ;;
  esac
  demo_names+=("$name")
  printf '    %-16s %s\n' "$name" "$note" >&2
done <<<"$plan"

# The gateway reloads its catalog every CATALOG_REFRESH_MS: wait until it routes to the demo
# instances at these ports, so the quick-start request below answers at once.
step "Waiting until the api-gateway routes to the demo instances"
gateway_pools="http://127.0.0.1:${ports[api-gateway]}/pools"
deadline=$(( $(date +%s) + start_timeout ))
until unrouted="$(curl -fsS -H "$auth" "$gateway_pools" 2>/dev/null | node scripts/lib/demo-instances.mjs unrouted "$simulator_base_port" "${demo_names[@]}" 2>/dev/null)" &&
  [ -z "$unrouted" ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    printf 'warning: after %ss (START_TIMEOUT_S) the api-gateway does not route to %s yet: see %s and .run/logs/api-gateway.log\n' \
      "$start_timeout" "${unrouted:-the demo instances}" "$gateway_pools" >&2
    break
  fi
  sleep 0.5
done

secrets_hint="after: set -a; source .run/dev-secrets.env; set +a"
if [ -n "${from_environment[BOOTSTRAP_CLIENT_KEY]:-}" ]; then secrets_hint="BOOTSTRAP_CLIENT_KEY: the one set in your environment"; fi
token_hint="ADMIN_TOKEN in .run/dev-secrets.env"
if [ -n "${from_environment[ADMIN_TOKEN]:-}" ]; then token_hint="the ADMIN_TOKEN set in your environment"; fi
cat <<EOF

Switchboard is up.
  Consul UI           $CONSUL_HTTP_ADDR/ui
  api-gateway         http://127.0.0.1:${ports[api-gateway]}
  instance-manager    http://127.0.0.1:${ports[instance-manager]}
  intelligent-router  http://127.0.0.1:${ports[intelligent-router]}
  load-balancer       http://127.0.0.1:${ports[load-balancer]}
  admin API docs      http://127.0.0.1:${ports[instance-manager]}/docs  (token: $token_hint)
  provider simulator  http://127.0.0.1:$simulator_port/instances  (demo upstreams on ports $simulator_base_port-$((simulator_base_port + 3)))
  each app also serves /health/live, /health/ready and /metrics
  logs                .run/logs/*.log (JSON lines)

Try it ($secrets_hint):
  curl -s http://127.0.0.1:${ports[api-gateway]}/v1/chat/completions -H "authorization: Bearer \$BOOTSTRAP_CLIENT_KEY" \\
    -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello!"}]}'

Press Ctrl-C to stop everything.
EOF

# Returns when any app exits (a crash) or when a signal arrives (the trap then stops everything).
exited_pid=""
wait -n -p exited_pid "${pids[@]}" || true
exited_app="${app_of_pid[${exited_pid:-none}]:-}"
[ -n "$exited_app" ] || fail "an app stopped unexpectedly; see the logs in .run/logs/"
fail_with_log "$exited_app" "$exited_app stopped unexpectedly" \
  "read the lines above; the whole log is .run/logs/$exited_app.log. npm start again starts everything afresh."
