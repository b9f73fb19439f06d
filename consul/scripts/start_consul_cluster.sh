#!/usr/bin/env bash
# Drives the three-server Consul cluster of docker-compose.yml (consul-server-1..3) and nothing
# else; the rest of the stack is `docker compose up`.
#
#   consul/scripts/start_consul_cluster.sh start                # up -d, wait for 3 alive servers + a leader
#   consul/scripts/start_consul_cluster.sh stop
#   consul/scripts/start_consul_cluster.sh restart
#   consul/scripts/start_consul_cluster.sh status               # members, leader, containers (exit 1 without leader)
#   consul/scripts/start_consul_cluster.sh logs [server ...]    # follow logs (consul-server-2 or just 2)
#   consul/scripts/start_consul_cluster.sh clean [--yes] [--all]
#
# clean deletes the servers and their data volumes (all Raft state, KV and ACL tokens);
# --all runs `docker compose down -v` for the whole stack, Postgres and Redis data included.
#
# Environment:
#   CONSUL_HTTP_PORT     host port where consul-server-1 publishes its HTTP API (default 8500,
#                        the same variable docker-compose.yml reads)
#   CONSUL_WAIT_TIMEOUT  seconds `start` waits for the cluster (default 120)
#   CONSUL_HTTP_TOKEN or CONSUL_MANAGEMENT_TOKEN
#                        token for `consul members` (needs node read) once ACLs are bootstrapped;
#                        without one, the Raft peer count stands in for it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPOSE_FILE="$ROOT/docker-compose.yml"
SERVERS=(consul-server-1 consul-server-2 consul-server-3)
HTTP_URL="http://127.0.0.1:${CONSUL_HTTP_PORT:-8500}"
WAIT_TIMEOUT="${CONSUL_WAIT_TIMEOUT:-120}"
PROG="consul/scripts/start_consul_cluster.sh"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: $PROG <command> [options]

Manages the three Consul servers of docker-compose.yml (${SERVERS[*]}).

Commands:
  start                 start the servers, wait until 3 are alive and a leader is elected
  stop                  stop the servers (data is kept)
  restart               stop, then start and wait again
  status                containers, members and leader; exits 1 when there is no leader
  logs [server ...]     follow the logs of the given servers (name or 1|2|3), default all
  clean [--yes] [--all] remove the servers and their data volumes after confirmation;
                        --all removes the whole compose stack and all its volumes

Environment: CONSUL_HTTP_PORT (8500), CONSUL_WAIT_TIMEOUT (120 s),
             CONSUL_HTTP_TOKEN or CONSUL_MANAGEMENT_TOKEN (for \`consul members\` under ACLs)
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

require_curl() {
  command -v curl >/dev/null 2>&1 || die "curl not found: install curl (apt-get install curl) to query $HTTP_URL"
}

# The leader's Raft address ("172.18.0.3:8300"), or nothing. /v1/status/* needs no ACL token.
leader() {
  curl -fsS --max-time 2 "$HTTP_URL/v1/status/leader" 2>/dev/null | tr -d '"[:space:]' || true
}

# Servers in the Raft configuration (a JSON list of "ip:port" strings); also needs no token.
raft_peer_count() {
  { curl -fsS --max-time 2 "$HTTP_URL/v1/status/peers" 2>/dev/null || true; } |
    { grep -o '"[^"]*"' || true; } | awk 'END { print NR }'
}

# `consul members` inside consul-server-1. The token travels on stdin, so it never shows up in
# a process list. Prints nothing when the agent is down or the token may not read nodes.
members() {
  local token="${CONSUL_HTTP_TOKEN:-${CONSUL_MANAGEMENT_TOKEN:-}}"
  # shellcheck disable=SC2016 # expanded by the shell inside the container
  printf '%s' "$token" | compose exec -T consul-server-1 \
    sh -c 'CONSUL_HTTP_TOKEN="$(cat)"; export CONSUL_HTTP_TOKEN; exec consul members' 2>/dev/null || true
}

alive_server_count() {
  printf '%s\n' "$1" | awk 'NR > 1 && $3 == "alive" && $4 == "server" { n++ } END { print n + 0 }'
}

# Servers that have exited (as opposed to starting or restarting), one name per line.
exited_servers() {
  compose ps --services --filter status=exited 2>/dev/null | grep -Fx -f <(printf '%s\n' "${SERVERS[@]}") || true
}

show_failure_context() {
  log ""
  compose ps "${SERVERS[@]}" >&2 || true
  log ""
  log "Last log lines of each server:"
  compose logs --tail=15 "${SERVERS[@]}" >&2 || true
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
      seen="$alive of 3 servers in the Raft configuration (no token to read members)"
    fi
    current="$(leader)"
    if [ "$alive" -ge 3 ] && [ -n "$current" ]; then
      printf ' ready\n' >&2
      log "Cluster ready: $seen, leader $current"
      return 0
    fi
    dead="$(exited_servers)"
    if [ -n "$dead" ]; then
      printf ' failed\n' >&2
      log "error: $(printf '%s' "$dead" | paste -sd, -) exited during start-up."
      show_failure_context
      die "fix the error above (often a syntax error in consul/config/server.hcl or a stale data volume), then run: $PROG restart"
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

cmd_start() {
  require_curl
  compose up -d "${SERVERS[@]}"
  wait_for_cluster
  log "Consul UI: $HTTP_URL/ui"
  log "First start? Bootstrap ACLs and create the policies and tokens: consul/acl/README.md"
}

cmd_stop() {
  compose stop "${SERVERS[@]}"
}

cmd_status() {
  require_curl
  compose ps "${SERVERS[@]}"
  echo
  local out current
  out="$(members)"
  if [ -n "$out" ]; then
    printf '%s\n' "$out"
  else
    echo "Members: not readable (agent down, or ACLs need CONSUL_HTTP_TOKEN with node read)."
    echo "Raft peers: $(raft_peer_count) of 3"
  fi
  echo
  current="$(leader)"
  if [ -n "$current" ]; then
    echo "Leader: $current"
  else
    echo "Leader: none ($HTTP_URL/v1/status/leader)"
    return 1
  fi
}

cmd_logs() {
  local services=() arg
  for arg in "$@"; do
    case "$arg" in
      1 | 2 | 3) services+=("consul-server-$arg") ;;
      consul-server-1 | consul-server-2 | consul-server-3) services+=("$arg") ;;
      *) die "unknown Consul server '$arg': use one of ${SERVERS[*]} (or 1, 2, 3)" ;;
    esac
  done
  [ "${#services[@]}" -gt 0 ] || services=("${SERVERS[@]}")
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

  [ "$yes" -eq 1 ] || confirm "Remove the Consul servers and their data volumes (Raft state, KV, ACL tokens)?"
  # Data volumes are looked up on the containers, so any project name or volume naming works.
  local ids volumes=()
  ids="$(compose ps -a -q "${SERVERS[@]}" 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one container id per word
    mapfile -t volumes < <(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/consul/data"}}{{.Name}}{{"\n"}}{{end}}{{end}}' $ids | grep -v '^$' || true)
  fi
  compose rm -s -f -v "${SERVERS[@]}"
  if [ "${#volumes[@]}" -gt 0 ]; then
    docker volume rm "${volumes[@]}" >/dev/null
    log "Removed volumes: ${volumes[*]}"
  fi
  log "Consul cluster removed. A new one needs its ACLs bootstrapped again (consul/acl/README.md)."
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
