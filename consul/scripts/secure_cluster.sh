#!/usr/bin/env bash
# Secures a Consul cluster: gossip encryption, TLS for RPC and HTTPS, and ACLs with one token per
# Switchboard app. start_consul_cluster.sh sources this file for the compose cluster; run it
# directly for a cluster that runs elsewhere (VMs, a loopback cluster) with a local consul binary.
#
#   consul/scripts/secure_cluster.sh material DIR       # gossip key, CA, one certificate per agent
#   consul/scripts/secure_cluster.sh bootstrap-acl DIR  # after a leader exists: bootstrap, policies, tokens
#
# Both are idempotent: what exists and is right is kept, and a re-run with everything in place
# changes nothing (no file is rewritten, no policy or token touched in Consul).
#
# DIR receives (mode 0700; keys and secrets 0600, certificates 0644):
#   secrets.env                CONSUL_GOSSIP_KEY, CONSUL_MANAGEMENT_TOKEN, CONSUL_AGENT_TOKEN,
#                              CONSUL_TOKEN_<APP> for each app, CONSUL_METRICS_TOKEN (KEY=value lines)
#   gossip.hcl                 encrypt = "<key>", for every agent's config dir
#   consul-agent-ca.pem        the CA certificate (public: apps and Prometheus trust it)
#   consul-agent-ca-key.pem    the CA key: signs new certificates, is never mounted into an agent
#   <agent>/ca.pem, agent.pem, agent-key.pem   what that one agent mounts at /consul/tls
#
# Environment:
#   CONSUL_SERVER_NAMES  server node names, also DNS names in their certificates
#                        (default "consul-server-1 consul-server-2 consul-server-3")
#   CONSUL_CLIENT_NAMES  client agent names (default "consul-client")
#   CONSUL_DATACENTER    (dc1) must match the agents' datacenter: server certificates name it
#   CONSUL_BIN           the consul binary for `material` (default: consul/scripts/install_consul.sh)
#   bootstrap-acl only:
#   CONSUL_HTTP_ADDR     https URL of a server (the CA is DIR/consul-agent-ca.pem)
#   CONSUL_AGENT_ADDRS   https URLs of every agent, space-separated: each gets the agent token
#                        (default: CONSUL_HTTP_ADDR only)
#   CONSUL_MANAGEMENT_TOKEN  a management token of a cluster bootstrapped before, when secrets.env
#                        does not hold it
#   SWITCHBOARD_ENV_FILE a compose .env that also receives the apps' and Prometheus' tokens
#
# No secret is ever printed or put on a command line: values go through files and pipes.
set -euo pipefail

SECURE_ACL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../acl" && pwd)"
SECURE_APPS=(api-gateway instance-manager intelligent-router load-balancer)
SECURE_ANONYMOUS_ACCESSOR=00000000-0000-0000-0000-000000000002

secure_log() { printf '%s\n' "$*" >&2; }
secure_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---- KEY=value files (secrets.env, compose .env) ---------------------------------------------

# The value of KEY in FILE, or nothing.
secure_env_get() {
  [ -f "$1" ] || return 0
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# Sets KEY=VALUE in FILE (created 0600), leaving the file untouched when it already holds that
# value. The value is written by printf, a shell builtin, so it never appears in a process list.
secure_env_set() {
  local file=$1 key=$2 value=$3 tmp
  [ "$(secure_env_get "$file" "$key")" = "$value" ] && return 0
  tmp="$(umask 077 && mktemp "$file.XXXXXX")"
  if [ -f "$file" ]; then grep -v "^$key=" "$file" >"$tmp" || true; fi
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv "$tmp" "$file"
  secure_log "    $key written to $file"
}

secure_uuid() { cat /proc/sys/kernel/random/uuid; }

# CONSUL_TOKEN_API_GATEWAY for api-gateway.
secure_app_token_key() { printf 'CONSUL_TOKEN_%s' "$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"; }

# ---- gossip key, CA and certificates ---------------------------------------------------------

# Runs the consul CLI in a directory. start_consul_cluster.sh replaces it with the Docker image's
# consul when no binary is installed.
secure_consul_tool() {
  local dir=$1
  shift
  (cd "$dir" && "${SECURE_CONSUL_BIN:?}" "$@")
}

secure_issue_certificate() { # DIR KIND(server|client) NAME FORCE
  local dir=$1 kind=$2 name=$3 force=$4 dc="${CONSUL_DATACENTER:-dc1}" issued
  if [ "$force" = 0 ] && [ -s "$dir/$name/agent.pem" ] && [ -s "$dir/$name/agent-key.pem" ]; then
    secure_log "    $name: certificate kept"
    return 0
  fi
  # `consul tls cert create` numbers its files (dc1-server-consul-0.pem, -1, ...): start from none.
  rm -f "$dir/$dc-$kind-consul-"*.pem
  secure_consul_tool "$dir" tls cert create "-$kind" -dc "$dc" -additional-dnsname "$name" >/dev/null 2>&1 ||
    secure_die "could not issue the $kind certificate of $name: run \`consul tls cert create -$kind -dc $dc\` in $dir to see why"
  issued="$dir/$dc-$kind-consul-0"
  mkdir -p "$dir/$name"
  mv "$issued-key.pem" "$dir/$name/agent-key.pem"
  mv "$issued.pem" "$dir/$name/agent.pem"
  cp "$dir/consul-agent-ca.pem" "$dir/$name/ca.pem"
  chmod 755 "$dir/$name"
  chmod 600 "$dir/$name/agent-key.pem"
  chmod 644 "$dir/$name/agent.pem" "$dir/$name/ca.pem"
  secure_log "    $name: $kind certificate issued (SANs $name, $kind.$dc.consul, localhost, 127.0.0.1)"
}

secure_make_material() { # DIR
  local dir=$1 key new_ca=0 name
  mkdir -p "$dir"
  chmod 700 "$dir"
  local secrets="$dir/secrets.env"
  secure_log "==> Gossip key, CA and certificates in $dir"

  key="$(secure_env_get "$secrets" CONSUL_GOSSIP_KEY)"
  if [ -z "$key" ]; then
    key="$(secure_consul_tool "$dir" keygen)" || secure_die "consul keygen failed: check that the consul binary runs (\`consul version\`)"
    secure_env_set "$secrets" CONSUL_GOSSIP_KEY "$key"
    secure_log "    gossip key generated"
  else
    secure_log "    gossip key kept"
  fi
  # An HCL file each agent loads from its config dir: the key stays off command lines and out of
  # container environments (docker inspect).
  local gossip_hcl
  gossip_hcl="$(printf '# Generated by consul/scripts/secure_cluster.sh; the gossip key is in secrets.env too.\nencrypt = "%s"\n' "$key")"
  if [ ! -f "$dir/gossip.hcl" ] || [ "$(cat "$dir/gossip.hcl")" != "$gossip_hcl" ]; then
    (umask 077 && printf '%s\n' "$gossip_hcl" >"$dir/gossip.hcl")
    secure_log "    gossip.hcl written"
  fi

  if [ ! -s "$dir/consul-agent-ca.pem" ] || [ ! -s "$dir/consul-agent-ca-key.pem" ]; then
    rm -f "$dir/consul-agent-ca.pem" "$dir/consul-agent-ca-key.pem"
    secure_consul_tool "$dir" tls ca create >/dev/null 2>&1 ||
      secure_die "consul tls ca create failed in $dir: run it there by hand to see why"
    new_ca=1
    secure_log "    CA created (consul-agent-ca.pem; its key stays in $dir)"
  else
    secure_log "    CA kept"
  fi
  chmod 600 "$dir/consul-agent-ca-key.pem"
  chmod 644 "$dir/consul-agent-ca.pem"

  # A new CA invalidates every certificate it did not sign: issue them all again.
  for name in ${CONSUL_SERVER_NAMES:-consul-server-1 consul-server-2 consul-server-3}; do
    secure_issue_certificate "$dir" server "$name" "$new_ca"
  done
  for name in ${CONSUL_CLIENT_NAMES:-consul-client}; do
    secure_issue_certificate "$dir" client "$name" "$new_ca"
  done
}

# ---- ACLs ------------------------------------------------------------------------------------

# One call to the HTTPS API. Sets SECURE_STATUS (000 when unreachable) and SECURE_BODY. Token and
# body travel through file descriptors (curl -H @file, --data-binary @file), never as arguments.
secure_api() { # METHOD URL TOKEN [BODY]
  local method=$1 url=$2 token=$3 body=${4-} out
  local args=(-sS --max-time 10 --cacert "$SECURE_CACERT" -X "$method" -w '\n%{http_code}')
  if [ -n "$body" ]; then
    out="$(curl "${args[@]}" -H @<(printf 'X-Consul-Token: %s\n' "$token") \
      --data-binary @<(printf '%s' "$body") "$url" 2>&1)" || true
  else
    out="$(curl "${args[@]}" -H @<(printf 'X-Consul-Token: %s\n' "$token") "$url" 2>&1)" || true
  fi
  SECURE_STATUS="${out##*$'\n'}"
  SECURE_BODY="${out%$'\n'*}"
  [[ "$SECURE_STATUS" =~ ^[0-9]{3}$ ]] || { SECURE_BODY="$out"; SECURE_STATUS=000; }
}

secure_api_ok() { # the same, dying unless 200
  secure_api "$@"
  [ "$SECURE_STATUS" = 200 ] && return 0
  if [ "$SECURE_STATUS" = 000 ]; then
    secure_die "$1 $2 did not reach Consul ($SECURE_BODY): check that the agent runs and that its certificate is signed by $SECURE_CACERT"
  fi
  secure_die "$1 $2 answered $SECURE_STATUS: $SECURE_BODY"
}

# Asks Consul about a token (GET /v1/acl/token/self) until it can tell: 200 (known) or 403 (not
# found). Anything else (unreachable, 5xx, 429 during an election) is asked again until the
# deadline, so a busy cluster never makes a known token look unknown.
secure_token_self() { # SECRET
  local deadline=$((SECONDS + 60))
  while :; do
    secure_api GET "$SECURE_API/v1/acl/token/self" "$1"
    case "$SECURE_STATUS" in
      200 | 403) return 0 ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] ||
      secure_die "Consul did not say whether a token is known (last answer $SECURE_STATUS: $SECURE_BODY); check the servers and run again"
    sleep 1
  done
}

# A management token that works: the one in secrets.env, else CONSUL_MANAGEMENT_TOKEN, else a new
# one from `acl bootstrap`. Its SecretID is chosen and saved before Consul sees it, so an
# interrupted run never loses the cluster's only management token.
secure_management_token() { # SECRETS_FILE
  local secrets=$1 token deadline=$((SECONDS + 60))
  token="$(secure_env_get "$secrets" CONSUL_MANAGEMENT_TOKEN)"
  [ -n "$token" ] || token="${CONSUL_MANAGEMENT_TOKEN:-}"
  if [ -n "$token" ]; then
    secure_token_self "$token"
    if [ "$SECURE_STATUS" = 200 ]; then
      secure_env_set "$secrets" CONSUL_MANAGEMENT_TOKEN "$token"
      secure_log "    management token kept"
      SECURE_MANAGEMENT_TOKEN=$token
      return 0
    fi
  else
    token="$(secure_uuid)"
  fi
  secure_env_set "$secrets" CONSUL_MANAGEMENT_TOKEN "$token"
  # Right after an election the ACL system may still be starting: retry what is not a refusal.
  while :; do
    secure_api PUT "$SECURE_API/v1/acl/bootstrap" "" "{\"BootstrapSecret\": \"$token\"}"
    case "$SECURE_STATUS" in
      200) break ;;
      403)
        secure_die "the ACLs of this cluster were bootstrapped before, with a management token that is not in $secrets.
  Put that token there as CONSUL_MANAGEMENT_TOKEN=<SecretID> (or export CONSUL_MANAGEMENT_TOKEN) and run again.
  Lost it? Reset the bootstrap: https://developer.hashicorp.com/consul/docs/secure/acl/reset ($SECURE_BODY)" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || secure_die "ACL bootstrap kept failing ($SECURE_STATUS: $SECURE_BODY): see the servers' logs"
    sleep 1
  done
  # The new token is usable once the leader's write is applied; wait for it.
  while :; do
    secure_api GET "$SECURE_API/v1/acl/token/self" "$token"
    [ "$SECURE_STATUS" = 200 ] && break
    [ "$SECONDS" -lt "$deadline" ] || secure_die "the bootstrap token is not accepted ($SECURE_STATUS: $SECURE_BODY): see the servers' logs"
    sleep 0.5
  done
  secure_log "    ACLs bootstrapped; management token saved in $secrets"
  SECURE_MANAGEMENT_TOKEN=$token
}

secure_policy() { # NAME FILE DESCRIPTION
  local name=$1 file="$SECURE_ACL_DIR/$2" description=$3 rules body id
  [ -f "$file" ] || secure_die "$file is missing: run from a complete Switchboard checkout"
  rules="$(cat "$file")"
  body="$(jq -n --arg name "$name" --arg description "$description" --arg rules "$rules" \
    '{Name: $name, Description: $description, Rules: $rules}')"
  secure_api GET "$SECURE_API/v1/acl/policy/name/$name" "$SECURE_MANAGEMENT_TOKEN"
  if [ "$SECURE_STATUS" = 200 ]; then
    if [ "$(printf '%s' "$SECURE_BODY" | jq -r .Rules)" = "$rules" ] &&
      [ "$(printf '%s' "$SECURE_BODY" | jq -r .Description)" = "$description" ]; then
      secure_log "    policy $name unchanged"
      return 0
    fi
    id="$(printf '%s' "$SECURE_BODY" | jq -r .ID)"
    secure_api_ok PUT "$SECURE_API/v1/acl/policy/$id" "$SECURE_MANAGEMENT_TOKEN" "$body"
    secure_log "    policy $name updated from consul/acl/$2"
  else
    secure_api_ok PUT "$SECURE_API/v1/acl/policy" "$SECURE_MANAGEMENT_TOKEN" "$body"
    secure_log "    policy $name created from consul/acl/$2"
  fi
}

# A token whose SecretID is kept in secrets.env under KEY: created with that SecretID when Consul
# does not know it (a new cluster, or one rebuilt from scratch), its policies corrected when
# they differ, left alone otherwise.
secure_token() { # SECRETS_FILE KEY DESCRIPTION POLICY
  local secrets=$1 key=$2 description=$3 policy=$4 secret accessor fields
  secret="$(secure_env_get "$secrets" "$key")"
  if [ -z "$secret" ]; then
    secret="$(secure_uuid)"
    secure_env_set "$secrets" "$key" "$secret"
  fi
  fields="\"Description\": \"$description\", \"Policies\": [{\"Name\": \"$policy\"}]"
  secure_token_self "$secret"
  if [ "$SECURE_STATUS" = 200 ]; then
    if [ "$(printf '%s' "$SECURE_BODY" | jq -r '[.Policies[]?.Name] | join(",")')" = "$policy" ] &&
      [ "$(printf '%s' "$SECURE_BODY" | jq -r .Description)" = "$description" ]; then
      secure_log "    token $key unchanged"
      return 0
    fi
    accessor="$(printf '%s' "$SECURE_BODY" | jq -r .AccessorID)"
    secure_api_ok PUT "$SECURE_API/v1/acl/token/$accessor" "$SECURE_MANAGEMENT_TOKEN" "{$fields}"
    secure_log "    token $key updated (policy $policy)"
  else
    secure_api_ok PUT "$SECURE_API/v1/acl/token" "$SECURE_MANAGEMENT_TOKEN" "{\"SecretID\": \"$secret\", $fields}"
    secure_log "    token $key created (policy $policy)"
  fi
}

secure_anonymous_token() {
  local url="$SECURE_API/v1/acl/token/$SECURE_ANONYMOUS_ACCESSOR"
  secure_api_ok GET "$url" "$SECURE_MANAGEMENT_TOKEN"
  if [ "$(printf '%s' "$SECURE_BODY" | jq -r '[.Policies[]?.Name] | join(",")')" = switchboard-anonymous ]; then
    secure_log "    anonymous token unchanged"
    return 0
  fi
  secure_api_ok PUT "$url" "$SECURE_MANAGEMENT_TOKEN" \
    '{"Description": "Anonymous token", "Policies": [{"Name": "switchboard-anonymous"}]}'
  secure_log "    anonymous token: policy switchboard-anonymous attached"
}

# Every agent uses the agent token for its own node entry and anti-entropy. Set through each
# agent's API and persisted in its data dir (enable_token_persistence): setting the same value
# again changes nothing.
secure_agent_tokens() { # SECRETS_FILE AGENT_URL...
  local secrets=$1 url token
  shift
  token="$(secure_env_get "$secrets" CONSUL_AGENT_TOKEN)"
  for url in "$@"; do
    secure_api_ok PUT "$url/v1/agent/token/agent" "$SECURE_MANAGEMENT_TOKEN" "{\"Token\": \"$token\"}"
    secure_log "    agent token in place on $url"
  done
}

secure_bootstrap_acl() { # DIR API_URL [AGENT_URL...]
  local dir=$1 secrets="$1/secrets.env" app key
  SECURE_API=${2%/}
  shift 2
  SECURE_CACERT="$dir/consul-agent-ca.pem"
  command -v curl >/dev/null 2>&1 || secure_die "curl not found: install curl (apt-get install curl)"
  command -v jq >/dev/null 2>&1 || secure_die "jq not found: install jq (apt-get install jq)"
  [ -s "$SECURE_CACERT" ] || secure_die "$SECURE_CACERT is missing: create it first (consul/scripts/secure_cluster.sh material $dir)"
  [[ "$SECURE_API" == https://* ]] || secure_die "the API address must be https:// (got $SECURE_API): the agents serve HTTPS only"
  secure_log "==> ACLs on $SECURE_API"
  secure_management_token "$secrets"
  secure_policy switchboard-agent agent.hcl "Consul agents"
  secure_policy switchboard-services service-registration.hcl "Switchboard apps"
  secure_policy switchboard-anonymous anonymous.hcl "Unauthenticated discovery"
  secure_policy switchboard-prometheus prometheus.hcl "Prometheus discovery and scraping"
  secure_token "$secrets" CONSUL_AGENT_TOKEN "Consul agents" switchboard-agent
  # One token per app: each can be revoked or rotated alone, and Consul's audit names the app.
  for app in "${SECURE_APPS[@]}"; do
    secure_token "$secrets" "$(secure_app_token_key "$app")" "Switchboard $app" switchboard-services
  done
  secure_token "$secrets" CONSUL_METRICS_TOKEN "Prometheus" switchboard-prometheus
  secure_anonymous_token
  secure_agent_tokens "$secrets" "$@"
  if [ -n "${SWITCHBOARD_ENV_FILE:-}" ]; then
    [ -f "$SWITCHBOARD_ENV_FILE" ] || (umask 077 && : >"$SWITCHBOARD_ENV_FILE")
    # .env now holds tokens: readable by its owner only.
    if [ "$(stat -c %a "$SWITCHBOARD_ENV_FILE")" != 600 ]; then
      chmod 600 "$SWITCHBOARD_ENV_FILE"
      secure_log "    $SWITCHBOARD_ENV_FILE made readable by its owner only (0600)"
    fi
    for key in $(for app in "${SECURE_APPS[@]}"; do secure_app_token_key "$app"; echo; done) CONSUL_METRICS_TOKEN; do
      secure_env_set "$SWITCHBOARD_ENV_FILE" "$key" "$(secure_env_get "$secrets" "$key")"
    done
  fi
}

secure_main() {
  local command=${1:-} dir=${2:-}
  case "$command" in
    material | bootstrap-acl) ;;
    -h | --help | help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      return 0 ;;
    *) secure_die "usage: $0 material DIR | bootstrap-acl DIR (see $0 --help)" ;;
  esac
  [ -n "$dir" ] || secure_die "$command needs the directory of the secrets (e.g. consul/secrets)"
  if [ "$command" = material ]; then
    SECURE_CONSUL_BIN="${CONSUL_BIN:-$("$(dirname "${BASH_SOURCE[0]}")/install_consul.sh")}" ||
      secure_die "no consul binary: set CONSUL_BIN or see consul/scripts/install_consul.sh"
    secure_make_material "$dir"
  else
    [ -n "${CONSUL_HTTP_ADDR:-}" ] || secure_die "set CONSUL_HTTP_ADDR to the https URL of a server, e.g. https://127.0.0.1:8501"
    # shellcheck disable=SC2086 # one URL per word
    secure_bootstrap_acl "$dir" "$CONSUL_HTTP_ADDR" ${CONSUL_AGENT_ADDRS:-$CONSUL_HTTP_ADDR}
  fi
  secure_log "Done. Secrets are in $dir/secrets.env (mode 0600); nothing was printed."
}

# Sourced by start_consul_cluster.sh for its functions; run directly, it is a command.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then secure_main "$@"; fi
