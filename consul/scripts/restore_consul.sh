#!/usr/bin/env bash
# Restores a Consul snapshot made by backup_consul.sh (or by `consul snapshot save`) into the
# cluster at CONSUL_HTTP_ADDR: inspects it first, asks for confirmation, restores, then checks
# that the cluster has a leader and that KV answers.
#
# A restore replaces ALL Consul state (KV, ACLs, catalog, sessions) with the snapshot's. Agents
# re-register their local services by anti-entropy, and the Switchboard apps re-register theirs
# and bring provider instances back in line from the database (reconcile), so after a restore
# the catalog fills in again within a minute.
set -euo pipefail

PROG="consul/scripts/restore_consul.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib/consul-api.sh
source "$ROOT/consul/scripts/lib/consul-api.sh"

usage() {
  cat <<EOF
Usage: $PROG [--yes] [--token-file FILE] <snapshot file | backup directory>

Restores a Consul snapshot into the cluster at CONSUL_HTTP_ADDR. A backup directory of
backup_consul.sh is checked against its SHA256SUMS first.

Steps: inspect the snapshot, confirm (or --yes), \`consul snapshot restore\`, then verify:
a leader is elected and KV under switchboard/ is readable.

Options:
  --yes, -y           do not ask for confirmation (for scripts)
  --token-file FILE   file holding a management token (restores need one under ACLs); it
                      must also exist in the snapshot for the checks after the restore
  -h, --help          this help

Environment: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT,
CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL (as for the consul CLI);
RESTORE_WAIT_TIMEOUT (seconds to wait for a leader after the restore, default 60).
EOF
}

yes=0
token_file=""
source_path=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -y | --yes) yes=1; shift ;;
    --token-file) [ "$#" -ge 2 ] || die "--token-file needs a file"; token_file=$2; shift 2 ;;
    -*) die "unknown option '$1': see $PROG --help" ;;
    *) [ -z "$source_path" ] || die "one snapshot at a time: got '$source_path' and '$1'"; source_path=$1; shift ;;
  esac
done
[ -n "$source_path" ] || die "which snapshot? Give a snapshot file or a backup directory (see $PROG --help)"
wait_timeout="${RESTORE_WAIT_TIMEOUT:-60}"

need curl "apt-get install curl"
need jq "apt-get install jq"
consul_binary
load_operator_token "$token_file"

snapshot="$source_path"
if [ -d "$source_path" ]; then
  snapshot="$source_path/consul.snap"
  [ -f "$snapshot" ] || die "$source_path has no consul.snap: is it a directory made by backup_consul.sh?"
  if [ -f "$source_path/SHA256SUMS" ]; then
    step "Verifying checksums in $source_path"
    (cd "$source_path" && sha256sum --quiet -c SHA256SUMS) ||
      die "the backup in $source_path does not match its SHA256SUMS (damaged or edited): restore another backup"
  fi
fi
[ -f "$snapshot" ] || die "$snapshot does not exist"

step "[1/4] Inspecting $snapshot"
inspect_err="$(mktemp)"
trap 'rm -f "$inspect_err"' EXIT
if ! summary="$("$CONSUL" snapshot inspect -format=json "$snapshot" 2>"$inspect_err")"; then
  log "$(cat "$inspect_err")"
  die "$snapshot does not inspect as a Consul snapshot (damaged or not a snapshot): nothing was restored; pick another backup"
fi
count_of() { printf '%s' "$summary" | jq -r --arg name "$1" '[.Stats[]? | select(.Name == $name) | .Count] | add // 0'; }
snapshot_index="$(printf '%s' "$summary" | jq -r '.Meta.Index')"
log "    index $snapshot_index: $(count_of KVS) KV entries, $(count_of ACLToken) ACL tokens, $(count_of ACLPolicy) ACL policies, $(count_of Register) catalog registrations"

step "[2/4] Confirming"
leader="$(current_leader)"
[ -n "$leader" ] || die "no Consul leader at $(api_base_url): a restore needs a running cluster with a leader (consul/scripts/start_consul_cluster.sh start)"
if [ "$yes" -ne 1 ]; then
  [ -t 0 ] || die "not a terminal, so no one can confirm: rerun with --yes"
  log "This REPLACES all Consul state at $(api_base_url) (leader $leader) — KV, ACL policies and tokens,"
  log "catalog, sessions — with the snapshot at index $snapshot_index. Changes made since are lost."
  read -r -p "Restore? [y/N] " answer
  case "$answer" in
    y | Y | yes | YES) ;;
    *) log "Aborted; nothing was restored."; exit 1 ;;
  esac
fi

step "[3/4] Restoring"
"$CONSUL" snapshot restore "$snapshot" ||
  die "consul snapshot restore failed (see above): under ACLs it needs a management token; the cluster still holds its previous state unless the message says otherwise"

step "[4/4] Verifying"
deadline=$((SECONDS + wait_timeout))
until leader="$(current_leader)" && [ -n "$leader" ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "no leader within ${wait_timeout}s after the restore: check the servers' logs (consul/scripts/start_consul_cluster.sh logs); RESTORE_WAIT_TIMEOUT waits longer"
  sleep 1
done
log "    leader $leader"
# 404 means no key under the prefix, which is an answer too; 403 means the token is not in the snapshot.
keys=""
until QUIET=1 consul_api keys GET '/v1/kv/switchboard/?keys' || [ "$API_STATUS" = 404 ]; do
  if [ "$API_STATUS" = 403 ]; then
    die "KV refused the token after the restore: the snapshot predates it. Use a management token that existed when the snapshot was taken"
  fi
  [ "$SECONDS" -lt "$deadline" ] || die "KV did not answer within ${wait_timeout}s after the restore ($(api_hint))"
  sleep 1
done
[ "$API_STATUS" != 404 ] || keys="[]"
key_count="$(printf '%s' "$keys" | jq length)"
log "    KV readable: $key_count key(s) under switchboard/"

printf 'Restore complete: %s (index %s) into %s; leader %s; %s key(s) under switchboard/\n' \
  "$snapshot" "$snapshot_index" "$(api_base_url)" "$leader" "$key_count"
