#!/usr/bin/env bash
# Drives the secure Consul cluster of docker-compose.yml (consul-server-1..3 and the client agent
# consul-client) and nothing else; the rest of the stack is `docker compose up`.
#
#   consul/scripts/start_consul_cluster.sh start                # secure, start, wait, bootstrap ACLs
#   consul/scripts/start_consul_cluster.sh stop
#   consul/scripts/start_consul_cluster.sh restart
#   consul/scripts/start_consul_cluster.sh status               # members, leader, containers (exit 1 without leader)
#   consul/scripts/start_consul_cluster.sh logs [agent ...]     # follow logs (consul-server-2, 2 or client)
#   consul/scripts/start_consul_cluster.sh clean [--yes] [--all]
#
# start, every step idempotent (a re-run with everything in place changes nothing):
#   1. consul/secrets/ (gitignored, 0700): gossip key, CA, a certificate per agent
#      (consul/scripts/secure_cluster.sh material); CONSUL_RUN_UID/GID into .env
#   2. docker compose up -d for the four agents; wait for 3 alive servers and a leader
#   3. ACLs: bootstrap, the policies of consul/acl/, a token per app, Prometheus and the agents,
#      each agent's token set (secure_cluster.sh bootstrap-acl). Every token goes to
#      consul/secrets/secrets.env (0600); the apps' and Prometheus' also to .env (made 0600).
#      No secret is printed.
#
# clean deletes the agents and their data volumes (all Raft state, KV and ACL tokens) but keeps
# consul/secrets/: the next start bootstraps a new cluster with the same keys and tokens, so .env
# stays valid. --all runs `docker compose down -v` for the whole stack, Postgres and Redis data
# included.
#
# Environment:
#   CONSUL_HTTP_PORT     host port of the client agent's HTTPS API (default 8500, the same
#                        variable docker-compose.yml reads); the servers are on 8501, 8511, 8521
#   CONSUL_WAIT_TIMEOUT  seconds `start` waits for the cluster (default 120)
#   CONSUL_IMAGE         image whose consul makes keys and certificates when no consul binary is
#                        installed (default hashicorp/consul:1.22, as in docker-compose.yml)
#   CONSUL_MANAGEMENT_TOKEN
#                        management token of a cluster bootstrapped before this script kept it
#                        (read from the shell or .env)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=consul/scripts/secure_cluster.sh
source "$ROOT/consul/scripts/secure_cluster.sh"
COMPOSE_FILE="$ROOT/docker-compose.yml"
SERVERS=(consul-server-1 consul-server-2 consul-server-3)
AGENTS=("${SERVERS[@]}" consul-client)
# docker-compose.yml publishes each agent's HTTPS port on loopback.
SERVER_URLS=(https://127.0.0.1:8501 https://127.0.0.1:8511 https://127.0.0.1:8521)
CLIENT_URL="https://127.0.0.1:${CONSUL_HTTP_PORT:-8500}"
SECRETS_DIR="$ROOT/consul/secrets"
CA_FILE="$SECRETS_DIR/consul-agent-ca.pem"
ENV_FILE="$ROOT/.env"
CONSUL_IMAGE="${CONSUL_IMAGE:-hashicorp/consul:1.22}"
WAIT_TIMEOUT="${CONSUL_WAIT_TIMEOUT:-120}"
PROG="consul/scripts/start_consul_cluster.sh"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: $PROG <command> [options]

Manages the Consul agents of docker-compose.yml (${AGENTS[*]}).

Commands:
  start                 generate keys and certificates if missing, start the agents, wait until
                        3 servers are alive and a leader is elected, then bootstrap ACLs and
                        tokens (into consul/secrets/secrets.env and .env); idempotent
  stop                  stop the agents (data is kept)
  restart               stop, then start and wait again
  status                containers, members and leader; exits 1 when there is no leader
  logs [agent ...]      follow the logs of the given agents (name, 1|2|3 or client), default all
  clean [--yes] [--all] remove the agents and their data volumes after confirmation (keeps
                        consul/secrets/); --all removes the whole compose stack and its volumes

Environment: CONSUL_HTTP_PORT (8500), CONSUL_WAIT_TIMEOUT (120 s), CONSUL_IMAGE,
             CONSUL_MANAGEMENT_TOKEN (a management token this script did not create)
EOF
}

COMPOSE=()
detect_compose() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  elif command -v docker >/dev/null 2>&1; then
    die "docker compose not found: install the Docker Compose v2 plugin (package docker-compose-plugin, see https://docs.docker.com/compose/install/)"
  else
    die "docker not found: install Docker Engine with the compose plugin (https://docs.docker.com/engine/install/)"
  fi
  [ -f "$COMPOSE_FILE" ] || die "$COMPOSE_FILE is missing: run this script from a Switchboard checkout"
  if command -v docker >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    die "cannot reach the Docker engine: start it (sudo systemctl start docker, or Docker Desktop), or check DOCKER_HOST and that your user may use the socket (docker group)"
  fi
}

compose() { "${COMPOSE[@]}" -f "$COMPOSE_FILE" --project-directory "$ROOT" "$@"; }

require_tools() {
  command -v curl >/dev/null 2>&1 || die "curl not found: install curl (apt-get install curl) to query the Consul agents"
  command -v jq >/dev/null 2>&1 || die "jq not found: install jq (apt-get install jq) to read Consul's ACL answers"
}

# GET on the first server that answers, trusting the cluster's CA. /v1/status/* needs no token.
status_get() {
  local url
  [ -s "$CA_FILE" ] || return 0
  for url in "${SERVER_URLS[@]}"; do
    if curl -fsS --max-time 2 --cacert "$CA_FILE" "$url$1" 2>/dev/null; then return 0; fi
  done
}

# The leader's Raft address ("172.18.0.3:8300"), or nothing.
leader() {
  status_get /v1/status/leader | tr -d '"[:space:]' || true
}

# Servers in the Raft configuration (a JSON list of "ip:port" strings).
raft_peer_count() {
  { status_get /v1/status/peers || true; } | { grep -o '"[^"]*"' || true; } | awk 'END { print NR }'
}

# The management token: consul/secrets/secrets.env, else CONSUL_MANAGEMENT_TOKEN from the shell or .env.
management_token() {
  local token
  token="$(secure_env_get "$SECRETS_DIR/secrets.env" CONSUL_MANAGEMENT_TOKEN)"
  [ -n "$token" ] || token="${CONSUL_MANAGEMENT_TOKEN:-}"
  [ -n "$token" ] || token="$(secure_env_get "$ENV_FILE" CONSUL_MANAGEMENT_TOKEN)"
  printf '%s' "$token"
}

# `consul members` inside consul-server-1 (its environment points the CLI at its HTTPS port). The
# token travels on stdin, so it never shows up in a process list. Prints nothing when the agent is
# down or ACLs are not bootstrapped yet.
members() {
  local token
  token="$(management_token)"
  # shellcheck disable=SC2016 # expanded by the shell inside the container
  printf '%s' "$token" | compose exec -T consul-server-1 \
    sh -c 'CONSUL_HTTP_TOKEN="$(cat)"; export CONSUL_HTTP_TOKEN; exec consul members' 2>/dev/null || true
}

alive_server_count() {
  printf '%s\n' "$1" | awk 'NR > 1 && $3 == "alive" && $4 == "server" { n++ } END { print n + 0 }'
}

# Agents that have exited (as opposed to starting or restarting), one name per line.
exited_agents() {
  compose ps --services --filter status=exited 2>/dev/null | grep -Fx -f <(printf '%s\n' "${AGENTS[@]}") || true
}

show_failure_context() {
  log ""
  compose ps "${AGENTS[@]}" >&2 || true
  log ""
  log "Last log lines of each agent:"
  compose logs --tail=15 "${AGENTS[@]}" >&2 || true
}

wait_for_cluster() {
  local deadline=$((SECONDS + WAIT_TIMEOUT)) out alive=0 current="" seen dead
  printf 'Waiting up to %ss for 3 alive servers and a leader ' "$WAIT_TIMEOUT" >&2
  while :; do
    out="$(members)"
    alive="$(alive_server_count "$out")"
    seen="$alive of 3 servers alive (consul members)"
    if [ "$alive" -eq 0 ]; then
      # Before ACLs are bootstrapped (or without a token) members lists nothing. The Raft
      # configuration is public and fills up once the servers have joined each other.
      alive="$(raft_peer_count)"
      seen="$alive of 3 servers in the Raft configuration (ACLs not bootstrapped yet)"
    fi
    current="$(leader)"
    # The client agent must know the leader too: the ACL bootstrap sets its token through it.
    if [ "$alive" -ge 3 ] && [ -n "$current" ] &&
      curl -fsS --max-time 2 --cacert "$CA_FILE" "$CLIENT_URL/v1/status/leader" 2>/dev/null | grep -q ':'; then
      printf ' ready\n' >&2
      log "Cluster ready: $seen, leader $current"
      return 0
    fi
    dead="$(exited_agents)"
    if [ -n "$dead" ]; then
      printf ' failed\n' >&2
      log "error: $(printf '%s' "$dead" | paste -sd, -) exited during start-up."
      show_failure_context
      die "fix the error above (often a syntax error in consul/config/*.hcl, a key file the agent may not read, or a data volume from a cluster without TLS: $PROG clean), then run: $PROG restart"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf ' timed out\n' >&2
      log "error: after ${WAIT_TIMEOUT}s: $seen, leader: ${current:-none}."
      show_failure_context
      die "see the logs above ($PROG logs); a longer wait: CONSUL_WAIT_TIMEOUT=300 $PROG start"
    fi
    printf '.' >&2
    sleep 2
  done
}

# The consul CLI that makes keys and certificates: an installed one, else the image's, run as the
# calling user so that the files it writes are theirs.
secure_consul_tool() {
  local dir=$1 binary="${CONSUL_BIN:-}"
  shift
  [ -n "$binary" ] || binary="$(command -v consul 2>/dev/null || true)"
  if [ -n "$binary" ]; then
    (cd "$dir" && "$binary" "$@")
  else
    docker run --rm --entrypoint consul --user "$(id -u):$(id -g)" -v "$dir:/work" -w /work "$CONSUL_IMAGE" "$@"
  fi
}

cmd_start() {
  require_tools
  secure_make_material "$SECRETS_DIR"
  # The agents run as the owner of the key files (CONSUL_UID in docker-compose.yml): written
  # before the first `up`, so that a later start finds nothing changed.
  [ -f "$ENV_FILE" ] || (umask 077 && : >"$ENV_FILE")
  secure_env_set "$ENV_FILE" CONSUL_RUN_UID "$(id -u)"
  secure_env_set "$ENV_FILE" CONSUL_RUN_GID "$(id -g)"
  log "==> Starting ${AGENTS[*]}"
  compose up -d "${AGENTS[@]}"
  wait_for_cluster
  # Any server will do (a follower forwards ACL writes to the leader): one being down stops nothing.
  local api="" url
  for url in "${SERVER_URLS[@]}"; do
    if curl -fsS --max-time 2 --cacert "$CA_FILE" "$url/v1/status/leader" 2>/dev/null | grep -q ':'; then
      api=$url
      break
    fi
  done
  [ -n "$api" ] || die "no server answers on ${SERVER_URLS[*]}: see $PROG status and $PROG logs"
  CONSUL_MANAGEMENT_TOKEN="$(management_token)" SWITCHBOARD_ENV_FILE="$ENV_FILE" \
    secure_bootstrap_acl "$SECRETS_DIR" "$api" "${SERVER_URLS[@]}" "$CLIENT_URL"
  log ""
  log "Consul is secured. Secrets: $SECRETS_DIR/secrets.env (0600); the apps' tokens are in .env."
  log "Consul UI: $CLIENT_URL/ui (trust $CA_FILE; log in with a token from secrets.env)."
  log "Next: docker compose up -d --build"
}

cmd_stop() {
  compose stop "${AGENTS[@]}"
}

cmd_status() {
  require_tools
  compose ps "${AGENTS[@]}"
  echo
  local out current
  out="$(members)"
  if [ -n "$out" ]; then
    printf '%s\n' "$out"
  else
    echo "Members: not readable (agent down, or no management token in consul/secrets/secrets.env yet: $PROG start)."
    echo "Raft peers: $(raft_peer_count) of 3"
  fi
  echo
  current="$(leader)"
  if [ -n "$current" ]; then
    echo "Leader: $current"
  else
    echo "Leader: none (asked ${SERVER_URLS[*]}; the logs tell why: $PROG logs)"
    return 1
  fi
}

cmd_logs() {
  local services=() arg
  for arg in "$@"; do
    case "$arg" in
      1 | 2 | 3) services+=("consul-server-$arg") ;;
      client) services+=(consul-client) ;;
      consul-server-1 | consul-server-2 | consul-server-3 | consul-client) services+=("$arg") ;;
      *) die "unknown Consul agent '$arg': use one of ${AGENTS[*]} (or 1, 2, 3, client)" ;;
    esac
  done
  [ "${#services[@]}" -gt 0 ] || services=("${AGENTS[@]}")
  compose logs -f --tail=100 "${services[@]}"
}

confirm() {
  local answer
  if [ ! -t 0 ]; then
    die "refusing to delete data without confirmation: rerun with --yes"
  fi
  read -r -p "$1 [y/N] " answer
  case "$answer" in
    y | Y | yes | YES) return 0 ;;
    *) log "Aborted; nothing was deleted."; exit 1 ;;
  esac
}

cmd_clean() {
  local yes=0 all=0 arg
  for arg in "$@"; do
    case "$arg" in
      --yes | -y) yes=1 ;;
      --all) all=1 ;;
      *) die "unknown option for clean: '$arg' (expected --yes and/or --all)" ;;
    esac
  done

  if [ "$all" -eq 1 ]; then
    [ "$yes" -eq 1 ] || confirm "Remove the WHOLE compose stack and all its volumes (Consul, Postgres, Redis, Prometheus data)?"
    compose down -v --remove-orphans
    return 0
  fi

  [ "$yes" -eq 1 ] || confirm "Remove the Consul agents and their data volumes (Raft state, KV, ACL tokens)?"
  # Data volumes are looked up on the containers, so any project name or volume naming works.
  local ids volumes=()
  ids="$(compose ps -a -q "${AGENTS[@]}" 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one container id per word
    mapfile -t volumes < <(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/consul/data"}}{{.Name}}{{"\n"}}{{end}}{{end}}' $ids | grep -v '^$' || true)
  fi
  compose rm -s -f -v "${AGENTS[@]}"
  if [ "${#volumes[@]}" -gt 0 ]; then
    docker volume rm "${volumes[@]}" >/dev/null
    log "Removed volumes: ${volumes[*]}"
  fi
  log "Consul cluster removed; $SECRETS_DIR is kept. $PROG start builds a new one with the same keys and"
  log "tokens. For new ones, delete $SECRETS_DIR first (then restart the apps: their tokens change)."
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    -h | --help | help) usage; return 0 ;;
    "") usage >&2; exit 2 ;;
    start | stop | restart | status | logs | clean) ;;
    *) log "error: unknown command '$cmd'"; usage >&2; exit 2 ;;
  esac
  shift
  detect_compose
  case "$cmd" in
    start) [ "$#" -eq 0 ] || die "start takes no arguments"; cmd_start ;;
    stop) [ "$#" -eq 0 ] || die "stop takes no arguments"; cmd_stop ;;
    restart) [ "$#" -eq 0 ] || die "restart takes no arguments"; cmd_stop; cmd_start ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    clean) cmd_clean "$@" ;;
  esac
}

main "$@"
