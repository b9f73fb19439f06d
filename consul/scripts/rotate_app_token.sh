#!/usr/bin/env bash
# Rotates the Consul token of the Switchboard apps without a restart or a gap:
#   1. finds the current token (by AccessorID or by its exact description),
#   2. clones it: a new token with the same policies, roles and identities,
#   3. writes the new SecretID into the token file(s) the apps read (CONSUL_HTTP_TOKEN_FILE),
#   4. waits until no registration in the catalog names the old token any more: an app that reads
#      the new token registers everything again with it and then shows the new AccessorID in its
#      service meta `switchboard_token_accessor`,
#   5. deletes the old token.
# Secrets are never printed; AccessorIDs (a token's public name) are.
set -euo pipefail

PROG="consul/scripts/rotate_app_token.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib/consul-api.sh
source "$ROOT/consul/scripts/lib/consul-api.sh"
META_KEY="switchboard_token_accessor"

usage() {
  cat <<EOF
Usage: $PROG (--accessor ID | --description TEXT) --app-token-file FILE [--app-token-file FILE ...]
                            [--timeout SECONDS] [--in-place] [--no-wait] [--token-file FILE]

Replaces the apps' Consul token with a new one carrying the same policies, waits until the
running apps use it, then deletes the old one. The apps must read their token from a file
(CONSUL_HTTP_TOKEN_FILE); one that reads CONSUL_HTTP_TOKEN keeps the old token until restarted.

Options:
  --accessor ID          AccessorID of the token to rotate
  --description TEXT     or its exact description (e.g. "Switchboard apps"); must match one token
  --app-token-file FILE  a file the apps read their token from; it must hold the current token.
                         Repeat for several files (hosts, apps with a file each)
  --timeout SECONDS      how long to wait for the apps (default 120); on timeout the old token
                         is kept and the script fails
  --in-place             overwrite the file instead of replacing it by a rename: for a single
                         file bind-mounted into a container, which does not see a rename
  --no-wait              for a token no Switchboard app registers with (scripts, other tools):
                         delete the old token right after writing the files
  --token-file FILE      file holding the operator's token (needs acl = "write")
  -h, --help             this help

Environment: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE (the operator's token),
CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL.
EOF
}

accessor=""
description=""
app_files=()
timeout=120
in_place=0
no_wait=0
token_file=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --accessor) [ "$#" -ge 2 ] || die "--accessor needs an AccessorID"; accessor=$2; shift 2 ;;
    --description) [ "$#" -ge 2 ] || die "--description needs a text"; description=$2; shift 2 ;;
    --app-token-file) [ "$#" -ge 2 ] || die "--app-token-file needs a file"; app_files+=("$2"); shift 2 ;;
    --timeout) [ "$#" -ge 2 ] || die "--timeout needs seconds"; timeout=$2; shift 2 ;;
    --in-place) in_place=1; shift ;;
    --no-wait) no_wait=1; shift ;;
    --token-file) [ "$#" -ge 2 ] || die "--token-file needs a file"; token_file=$2; shift 2 ;;
    *) die "unknown argument '$1': see $PROG --help" ;;
  esac
done
[ -n "$accessor" ] || [ -n "$description" ] || die "which token? Give --accessor ID or --description TEXT (consul acl token list shows both)"
[ -z "$accessor" ] || [ -z "$description" ] || die "give --accessor or --description, not both"
[ "${#app_files[@]}" -gt 0 ] || die "where do the apps read their token? Give --app-token-file FILE (their CONSUL_HTTP_TOKEN_FILE)"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout '$timeout' is not a whole number of seconds"

need curl "apt-get install curl"
need jq "apt-get install jq"
load_operator_token "$token_file"

# "service-id@node" of every registration whose meta names the given AccessorID, one per line.
# Callers run it in $(...), where a failed read cannot stop the script and errexit is off: every
# failure is an explicit non-zero return, which the caller must check (`|| die`), never a
# condition of while/until/if, where a failure reads the same as "no registration".
registrations_naming() {
  local wanted=$1 services names name instances
  consul_api services GET /v1/catalog/services || die "cannot list the catalog: $(api_hint)"
  names="$(printf '%s' "$services" | jq -r 'keys[]')" || die "the catalog's service list is not JSON"
  for name in $names; do
    consul_api instances GET "/v1/catalog/service/$(jq -rn --arg n "$name" '$n | @uri')" ||
      die "cannot read service $name from the catalog: $(api_hint)"
    printf '%s' "$instances" | jq -r --arg key "$META_KEY" --arg wanted "$wanted" \
      '.[] | select(.ServiceMeta[$key] == $wanted) | "\(.ServiceID)@\(.Node)"' ||
      die "the catalog's answer for service $name is not JSON"
  done
}

step "[1/5] Finding the token to rotate"
if [ -n "$accessor" ]; then
  consul_api old GET "/v1/acl/token/$accessor" ||
    die "cannot read token $accessor: check the AccessorID with consul acl token list; if it is right, $(api_hint)"
else
  consul_api tokens GET /v1/acl/tokens || die "cannot list tokens: $(api_hint)"
  matches="$(printf '%s' "$tokens" | jq -r --arg d "$description" '[.[] | select(.Description == $d) | .AccessorID] | join(" ")')"
  unset tokens
  case "$(wc -w <<<"$matches")" in
    0) die "no token has the description \"$description\": check it with consul acl token list, or pass --accessor" ;;
    1) accessor="$matches" ;;
    *) die "several tokens have the description \"$description\" ($matches), as after a rotation that stopped half-way: pass --accessor with the one the apps use (see their '$META_KEY' service meta)" ;;
  esac
  consul_api old GET "/v1/acl/token/$accessor" || die "cannot read token $accessor: $(api_hint)"
fi
old_secret="$(printf '%s' "$old" | jq -r '.SecretID')"
old_description="$(printf '%s' "$old" | jq -r '.Description')"
[ "$accessor" != 00000000-0000-0000-0000-000000000002 ] || die "that is the anonymous token, which cannot be rotated: update its policies instead"
consul_api self GET /v1/acl/token/self || die "cannot read the operator's own token: $(api_hint)"
[ "$(printf '%s' "$self" | jq -r '.AccessorID')" != "$accessor" ] ||
  die "that is the token this script runs with: rotate it with another management token"
policies="$(printf '%s' "$old" | jq -r '[(.Policies // [])[].Name, ((.Roles // [])[].Name | "role:" + .)] | join(", ")')"
log "    $accessor (\"$old_description\"; ${policies:-no policies})"
for file in "${app_files[@]}"; do
  [ -f "$file" ] || die "$file does not exist: give the file the apps read (their CONSUL_HTTP_TOKEN_FILE)"
  [ "$(tr -d '[:space:]' <"$file")" = "$old_secret" ] ||
    die "$file does not hold the token $accessor: rotate the token that file holds (--accessor), or fix the file first"
done
unset old_secret old
users="$(registrations_naming "$accessor")" || exit 1
if [ -z "$users" ] && [ "$no_wait" -ne 1 ]; then
  die "no registration in the catalog names token $accessor in its '$META_KEY' meta, so nothing shows when the apps have moved on. Apps reading CONSUL_HTTP_TOKEN (not a file) would lose Consul once it is deleted: switch them to CONSUL_HTTP_TOKEN_FILE first. For a token no app registers with, pass --no-wait"
fi
[ -z "$users" ] || log "    in use by: $(paste -sd ' ' <<<"$users")"

step "[2/5] Creating the new token (same policies, roles and identities)"
# The same description, so the next rotation finds the new token as this one found the old.
body="$(jq -n --arg d "$old_description" '{Description: $d}')"
consul_api new PUT "/v1/acl/token/$accessor/clone" "$body" || die "cannot clone token $accessor: $(api_hint)"
new_accessor="$(printf '%s' "$new" | jq -r '.AccessorID')"
new_secret="$(printf '%s' "$new" | jq -r '.SecretID')"
unset new
[ -n "$new_secret" ] && [ "$new_secret" != null ] || die "Consul returned no SecretID for the new token $new_accessor: delete it (consul acl token delete -accessor-id $new_accessor) and run again"
log "    new token $new_accessor"

step "[3/5] Writing it where the apps read it"
for file in "${app_files[@]}"; do
  if [ "$in_place" -eq 1 ]; then
    # Readers may see the file empty for an instant; the apps keep their token until it is whole.
    printf '%s\n' "$new_secret" >"$file"
  else
    # A rename is atomic: readers see the old file or the new one, never a half-written token.
    tmp="$(mktemp "$(dirname "$file")/.consul-token.XXXXXX")"
    printf '%s\n' "$new_secret" >"$tmp"
    chmod --reference="$file" "$tmp"
    chown --reference="$file" "$tmp" 2>/dev/null || log "    note: could not give $tmp the owner of $file (not root?); check the apps can read it"
    mv -f "$tmp" "$file"
  fi
  log "    $file"
done
unset new_secret

if [ "$no_wait" -eq 1 ]; then
  step "[4/5] Not waiting (--no-wait)"
else
  step "[4/5] Waiting up to ${timeout}s until no registration names the old token"
  deadline=$((SECONDS + timeout))
  # Only an empty answer ends the wait: a catalog that cannot be read says nothing about the apps.
  while :; do
    remaining="$(registrations_naming "$accessor")" ||
      die "the catalog could not be read (see above), so it is unknown whether the apps still use the old token. The old token $accessor was NOT deleted and still works; the new one ($new_accessor) is in the file(s). Once Consul answers and no registration's '$META_KEY' meta shows $accessor, delete the old one: consul acl token delete -accessor-id $accessor"
    [ -n "$remaining" ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "after ${timeout}s these still name the old token: $(paste -sd ' ' <<<"$remaining"). The old token $accessor was NOT deleted and still works; the new one ($new_accessor) is in the file(s). Check that those apps read ${app_files[*]} and their logs ('Consul token changed'); once they show $new_accessor, delete the old one: consul acl token delete -accessor-id $accessor"
    fi
    sleep 1
  done
  # For the log only: the wait above already showed that nothing names the old token.
  if now_using="$(QUIET=1 registrations_naming "$new_accessor" 2>/dev/null)"; then
    log "    now using the new token: $(paste -sd ' ' <<<"$now_using")"
  fi
fi

step "[5/5] Deleting the old token"
consul_api deleted DELETE "/v1/acl/token/$accessor" ||
  die "cannot delete the old token $accessor ($(api_hint)); the apps already use the new one: delete it by hand with consul acl token delete -accessor-id $accessor"

printf 'Rotation complete: token %s replaced by %s in %s; the old token is deleted\n' "$accessor" "$new_accessor" "${app_files[*]}"
