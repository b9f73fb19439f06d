# Sourced by the Consul operator scripts (backup, restore, token rotation): the consul binary, the
# token and the HTTP API, configured by the same environment variables as the consul CLI.
#
#   CONSUL_HTTP_ADDR        127.0.0.1:8500, http://host:8500 or https://host:8501
#   CONSUL_HTTP_TOKEN       the operator's token, or
#   CONSUL_HTTP_TOKEN_FILE  a file holding it (wins, as in the consul CLI)
#   CONSUL_HTTP_SSL=true    https for an address without a scheme
#   CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL_VERIFY=false
#
# The caller sets PROG (its name in messages) and `set -euo pipefail`.

log() { printf '%s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
step() { printf '==> %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: install it ($2)"
}

# The consul binary: $CONSUL_BIN, a consul on PATH, or one the project builds (install_consul.sh).
consul_binary() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  CONSUL="$("$here/install_consul.sh")" || die "no consul binary: set CONSUL_BIN or see the errors of consul/scripts/install_consul.sh above"
}

# Loads the operator's token into CONSUL_HTTP_TOKEN, from the file given (a --token-file option),
# CONSUL_HTTP_TOKEN_FILE or CONSUL_HTTP_TOKEN, so the consul CLI and curl use the same one. It stays
# in the environment of this script and its children, never on a command line (`ps` shows those).
load_operator_token() {
  local file="${1:-${CONSUL_HTTP_TOKEN_FILE:-}}"
  if [ -n "$file" ]; then
    [ -r "$file" ] || die "token file $file is not readable: check the path and its permissions"
    CONSUL_HTTP_TOKEN="$(tr -d '[:space:]' <"$file")"
    [ -n "$CONSUL_HTTP_TOKEN" ] || die "token file $file is empty: write the operator's Consul token into it"
  fi
  unset CONSUL_HTTP_TOKEN_FILE
  export CONSUL_HTTP_TOKEN="${CONSUL_HTTP_TOKEN:-}"
  if [ -z "$CONSUL_HTTP_TOKEN" ]; then
    log "note: no token (CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE or --token-file); with ACLs on, Consul will refuse"
  fi
}

# The API base URL from CONSUL_HTTP_ADDR, with the scheme the consul CLI would use.
api_base_url() {
  local address="${CONSUL_HTTP_ADDR:-127.0.0.1:8500}"
  case "$address" in
    http://* | https://*) printf '%s' "${address%/}" ;;
    unix://*) die "CONSUL_HTTP_ADDR=$address: a unix socket is not supported by this script; use the agent's HTTP address" ;;
    *)
      if [ "${CONSUL_HTTP_SSL:-false}" = true ] || [ "${CONSUL_HTTP_SSL:-}" = 1 ]; then
        printf 'https://%s' "$address"
      else
        printf 'http://%s' "$address"
      fi
      ;;
  esac
}

# consul_api VAR METHOD PATH [BODY]: sets VAR to the response body and API_STATUS to the HTTP status
# (000: no answer), in the caller's shell. Exit status 0 on 2xx; otherwise Consul's message goes to
# stderr (unless QUIET=1).
API_STATUS=""
consul_api() {
  local var=$1 method=$2 path=$3 base out status response args=()
  # api_base_url's die ends only the $(...) it runs in, and errexit is off where callers write
  # `consul_api ... || die`: without this exit, curl would run against an empty address.
  base="$(api_base_url)" || exit 1
  [ "$#" -lt 4 ] || args+=(--data-binary "$4")
  [ -z "${CONSUL_CACERT:-}" ] || args+=(--cacert "$CONSUL_CACERT")
  [ -z "${CONSUL_CAPATH:-}" ] || args+=(--capath "$CONSUL_CAPATH")
  [ -z "${CONSUL_CLIENT_CERT:-}" ] || args+=(--cert "$CONSUL_CLIENT_CERT")
  [ -z "${CONSUL_CLIENT_KEY:-}" ] || args+=(--key "$CONSUL_CLIENT_KEY")
  [ "${CONSUL_HTTP_SSL_VERIFY:-true}" != false ] || args+=(--insecure)
  out="$(mktemp)"
  # The token header comes in through curl's config on stdin, not argv.
  status="$(if [ -n "${CONSUL_HTTP_TOKEN:-}" ]; then printf 'header = "X-Consul-Token: %s"\n' "$CONSUL_HTTP_TOKEN"; fi |
    curl -sS --max-time 30 -K - -X "$method" ${args[@]+"${args[@]}"} \
      -o "$out" -w '%{http_code}' "$base$path" 2>"$out.err")" || status="000"
  API_STATUS="$status"
  response="$(cat "$out")"
  printf -v "$var" '%s' "$response"
  if [ "${status:0:1}" != 2 ] && [ "${QUIET:-0}" != 1 ]; then
    if [ "$status" = 000 ]; then
      log "$method $path: no answer from $base: $(head -c 300 "$out.err")"
    else
      log "$method $path answered $status: ${response:0:300}"
    fi
  fi
  rm -f "$out" "$out.err"
  [ "${status:0:1}" = 2 ]
}

# What to do about a failed call, by status.
api_hint() {
  case "$API_STATUS" in
    000) printf 'is Consul running at %s? Check CONSUL_HTTP_ADDR (and CONSUL_CACERT for https)' "$(api_base_url)" ;;
    401 | 403) printf 'the token was refused: use a management token (CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE or --token-file)' ;;
    *) printf 'see the message above' ;;
  esac
}

# The raft leader's address, or nothing (needs no token).
current_leader() {
  local body=""
  QUIET=1 consul_api body GET /v1/status/leader || true
  printf '%s' "$body" | tr -d '"[:space:]'
}
