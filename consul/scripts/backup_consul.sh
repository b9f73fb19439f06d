#!/usr/bin/env bash
# Backs up a Switchboard Consul cluster into a timestamped directory:
#   consul.snap           `consul snapshot save`: KV, ACL policies/roles/tokens, catalog, sessions
#   snapshot-inspect.json `consul snapshot inspect` of it (a snapshot that does not inspect fails the backup)
#   acl/                  the live ACL policies (with rules), roles and token list (secrets removed), as JSON
#   config.tar.gz         consul/config and consul/acl of this checkout
#   SHA256SUMS            checksums, verified again by restore_consul.sh
# then deletes backups older than the retention. Run it from cron or a systemd timer.
#
# The snapshot holds every ACL token's secret: the backup directory is created for its owner only.
set -euo pipefail

PROG="consul/scripts/backup_consul.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib/consul-api.sh
source "$ROOT/consul/scripts/lib/consul-api.sh"

usage() {
  cat <<EOF
Usage: $PROG [--dir DIR] [--retention-days N] [--token-file FILE]

Saves a Consul snapshot, checks it with \`consul snapshot inspect\`, exports the live ACL
policies and roles, archives consul/config and consul/acl, all into DIR/consul-<UTC time>/,
then deletes consul-* backups in DIR older than N days.

Options:
  --dir DIR             where backups go (default \$BACKUP_DIR, else ./backups/consul)
  --retention-days N    keep backups this many days (default \$BACKUP_RETENTION_DAYS, else 14);
                        0 keeps everything
  --token-file FILE     file holding a management token (snapshots need one under ACLs)
  -h, --help            this help

Environment: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT,
CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL (as for the consul CLI);
CONSUL_BIN to use a particular consul binary.

Restore with: consul/scripts/restore_consul.sh DIR/consul-<time>
EOF
}

backup_root="${BACKUP_DIR:-./backups/consul}"
retention_days="${BACKUP_RETENTION_DAYS:-14}"
token_file=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dir) [ "$#" -ge 2 ] || die "--dir needs a directory"; backup_root=$2; shift 2 ;;
    --retention-days) [ "$#" -ge 2 ] || die "--retention-days needs a number"; retention_days=$2; shift 2 ;;
    --token-file) [ "$#" -ge 2 ] || die "--token-file needs a file"; token_file=$2; shift 2 ;;
    *) die "unknown argument '$1': see $PROG --help" ;;
  esac
done
[[ "$retention_days" =~ ^[0-9]+$ ]] || die "retention '$retention_days' is not a whole number of days (BACKUP_RETENTION_DAYS or --retention-days)"

need curl "apt-get install curl"
need jq "apt-get install jq"
need tar "apt-get install tar"
need sha256sum "apt-get install coreutils"
consul_binary
load_operator_token "$token_file"

# The snapshot carries token secrets: nothing this script writes may be readable by others.
umask 077
mkdir -p "$backup_root" || die "cannot create $backup_root: choose another --dir or fix its permissions"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="consul-$stamp"
final="$backup_root/$name"
[ ! -e "$final" ] || die "$final already exists (two backups in one second?): wait a second and run again"
# Built under a hidden name and renamed at the end: a failed run never looks like a backup, and
# retention never counts one.
work="$backup_root/.$name.partial"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/acl"

step "[1/5] Checking Consul at $(api_base_url)"
leader="$(current_leader)"
[ -n "$leader" ] || die "no Consul leader at $(api_base_url): start the cluster (consul/scripts/start_consul_cluster.sh status) or fix CONSUL_HTTP_ADDR"
log "    leader $leader"

step "[2/5] Saving the snapshot"
if ! "$CONSUL" snapshot save "$work/consul.snap" >"$work/save.log" 2>&1; then
  log "$(cat "$work/save.log")"
  die "consul snapshot save failed: under ACLs it needs a management token (--token-file, CONSUL_HTTP_TOKEN); see the message above"
fi
rm -f "$work/save.log"

step "[3/5] Inspecting the snapshot"
if ! "$CONSUL" snapshot inspect -format=json "$work/consul.snap" >"$work/snapshot-inspect.json" 2>"$work/inspect.err"; then
  log "$(cat "$work/inspect.err")"
  die "the snapshot just saved does not inspect, so it could not be restored either: check free space in $backup_root and the servers' logs, then run again"
fi
rm -f "$work/inspect.err"
snapshot_index="$(jq -r '.Meta.Index' "$work/snapshot-inspect.json")"
snapshot_bytes="$(wc -c <"$work/consul.snap" | tr -d ' ')"
[ "$snapshot_index" != null ] && [ "$snapshot_bytes" -gt 0 ] ||
  die "the snapshot inspects without an index ($work/snapshot-inspect.json): run again; if it persists, check the consul version"
log "    index $snapshot_index, $snapshot_bytes bytes"

step "[4/5] Exporting ACL policies and roles, archiving consul/config and consul/acl"
# Policies: the list has no rules, so each is read on its own.
consul_api policies GET /v1/acl/policies || die "cannot list ACL policies: $(api_hint)"
printf '[' >"$work/acl/policies.json"
separator=""
# Read first: a jq failure inside `for id in $(...)` would only make the list empty.
policy_ids="$(printf '%s' "$policies" | jq -r '.[].ID')" || die "the ACL policy list is not JSON: run again"
for id in $policy_ids; do
  consul_api policy GET "/v1/acl/policy/$id" || die "cannot read ACL policy $id: $(api_hint)"
  printf '%s%s' "$separator" "$policy" >>"$work/acl/policies.json"
  separator=","
done
printf ']' >>"$work/acl/policies.json"
jq 'sort_by(.Name)' "$work/acl/policies.json" >"$work/acl/policies.sorted" ||
  die "the ACL policies read from Consul are not JSON: run again"
mv "$work/acl/policies.sorted" "$work/acl/policies.json"
consul_api roles GET /v1/acl/roles || die "cannot list ACL roles: $(api_hint)"
printf '%s' "$roles" | jq 'sort_by(.Name)' >"$work/acl/roles.json"
# Which tokens exist and what they may do, for an audit; their secrets live in the snapshot only.
consul_api tokens GET /v1/acl/tokens || die "cannot list ACL tokens: $(api_hint)"
printf '%s' "$tokens" | jq 'map(del(.SecretID)) | sort_by(.AccessorID)' >"$work/acl/tokens.json"
unset tokens
tar -czf "$work/config.tar.gz" -C "$ROOT" consul/config consul/acl || die "cannot archive consul/config and consul/acl of $ROOT"
policy_count="$(jq length "$work/acl/policies.json")"
role_count="$(jq length "$work/acl/roles.json")"
token_count="$(jq length "$work/acl/tokens.json")"
log "    $policy_count policies, $role_count roles, $token_count tokens (secrets left out), config archive"
(cd "$work" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
mv "$work" "$final"
trap - EXIT

step "[5/5] Applying retention ($retention_days days) in $backup_root"
removed=0
if [ "$retention_days" -gt 0 ]; then
  # Only directories this script made (consul-<time>) and leftovers of failed runs; by minutes,
  # since find's -mtime rounds down to whole days.
  while IFS= read -r -d '' old; do
    rm -rf -- "$old"
    log "    removed $old"
    removed=$((removed + 1))
  done < <(find "$backup_root" -mindepth 1 -maxdepth 1 -type d \( -name 'consul-*' -o -name '.consul-*.partial' \) \
    -mmin "+$((retention_days * 1440))" ! -path "$final" -print0)
fi

printf 'Backup complete: %s (snapshot index %s, %s bytes; %s policies, %s roles, %s tokens); %s older backup(s) removed\n' \
  "$final" "$snapshot_index" "$snapshot_bytes" "$policy_count" "$role_count" "$token_count" "$removed"
