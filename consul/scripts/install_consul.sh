#!/usr/bin/env bash
# Finds or builds a real Consul binary and prints its path on stdout (progress goes to stderr).
#
#   consul/scripts/install_consul.sh            # path of a usable consul, building one if needed
#   consul/scripts/install_consul.sh --version  # also print `consul version` to stderr
#
# Order: $CONSUL_BIN if set, a `consul` on PATH that is >= MIN_VERSION, a binary cached by an
# earlier build, and otherwise a build from the Go module proxy with the machine's Go.
#
# `go install github.com/hashicorp/consul@vX` refuses the module because its go.mod replaces its
# own submodules (api, sdk, proto-public, envoyextensions, troubleshoot) with local directories
# that are not part of the published module. We copy the module, drop that replace block (keeping
# the `exclude` block), let Go resolve the submodules at the versions Consul requires, and build.
# Some point releases require submodule versions older than their own tree, so candidates are
# tried newest first and a failed version is remembered in the cache.
set -euo pipefail

MIN_VERSION="${CONSUL_MIN_VERSION:-1.21.0}"
# v1.22.7 is left out: its command/acl code needs api fields newer than the api v1.33.7 it pins,
# so it cannot build from published modules (token.Name undefined). Set CONSUL_VERSIONS to try others.
CANDIDATES="${CONSUL_VERSIONS:-1.22.6 1.22.5 1.22.3 1.22.2 1.22.0 1.21.5 1.21.4 1.21.3 1.21.2 1.21.1 1.21.0}"
CACHE_DIR="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}/consul"

log() { printf '%s\n' "$*" >&2; }
die() { log "install_consul: $*"; exit 1; }

version_ge() { # version_ge A B: A >= B
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

binary_version() {
  "$1" version 2>/dev/null | sed -n 's/^Consul v\([0-9][0-9.]*\).*/\1/p' | head -n1
}

usable() { # usable PATH: a consul binary at least MIN_VERSION
  local v
  [ -x "$1" ] || return 1
  v=$(binary_version "$1")
  [ -n "$v" ] && version_ge "$v" "$MIN_VERSION"
}

report() {
  if [ "${1:-}" = "--version" ]; then "$2" version >&2; fi
  printf '%s\n' "$2"
  exit 0
}

want_version=""
[ "${1:-}" = "--version" ] && want_version="--version"

if [ -n "${CONSUL_BIN:-}" ]; then
  usable "$CONSUL_BIN" || die "CONSUL_BIN=$CONSUL_BIN is not a consul >= $MIN_VERSION; unset it or point it at a newer binary"
  report "$want_version" "$CONSUL_BIN"
fi

if on_path=$(command -v consul 2>/dev/null) && usable "$on_path"; then
  report "$want_version" "$on_path"
fi

for v in $CANDIDATES; do
  if usable "$CACHE_DIR/$v/consul"; then report "$want_version" "$CACHE_DIR/$v/consul"; fi
done

command -v go >/dev/null 2>&1 || die "no consul on PATH and no Go toolchain to build one: install Go >= 1.25 (or put consul >= $MIN_VERSION on PATH)"

mkdir -p "$CACHE_DIR"
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT
build_one() { # build_one VERSION -> 0 built, 1 the build failed, 2 the download failed (no verdict)
  local v=$1 dir started count=0
  work=$(mktemp -d "${TMPDIR:-/tmp}/consul-build-$v.XXXXXX")
  log "==> Downloading github.com/hashicorp/consul@v$v from the Go module proxy"
  if ! dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/consul@v$v" 2>"$work/download.err" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'); then
    log "    download failed: $(tail -n 3 "$work/download.err")"
    return 2
  fi
  [ -n "$dir" ] && [ -f "$dir/go.mod" ] || { log "    download failed: $(tail -n 3 "$work/download.err")"; return 2; }
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  # Drop the block that replaces Consul's own submodules with directories the module lacks.
  sed -i '/^replace (/,/^)/d' "$work/src/go.mod"
  grep -q '^exclude' "$work/src/go.mod" || log "    note: no exclude block in go.mod"
  log "==> Building consul v$v (CGO_ENABLED=0); the first build takes a few minutes on 2 cores"
  started=$(date +%s)
  # The checksum database does not always know the submodule versions Consul pins; the module
  # proxy still serves them, so only those modules skip the checksum database.
  if ! (cd "$work/src" && CGO_ENABLED=0 GONOSUMDB=github.com/hashicorp/consul \
        GOFLAGS="-mod=mod -buildvcs=false" \
        go build -v -trimpath -ldflags "-s -w -X github.com/hashicorp/consul/version.GitCommit=module-proxy" \
        -o "$work/consul" . 2>&1) | while IFS= read -r line; do
          case "$line" in
            *"go: downloading"*) ;;
            *.go:[0-9]*|"# "*|go:*|*"cannot find"*) printf '    %s\n' "$line" >&2 ;;
            *) count=$((count + 1)); if [ $((count % 100)) -eq 0 ]; then log "    compiled $count packages ($(( $(date +%s) - started ))s)"; fi ;;
          esac
        done; then
    return 1
  fi
  [ -x "$work/consul" ] || return 1
  mkdir -p "$CACHE_DIR/$v"
  mv "$work/consul" "$CACHE_DIR/$v/consul"
  log "==> Built consul v$v in $(( $(date +%s) - started ))s: $CACHE_DIR/$v/consul"
}

for v in $CANDIDATES; do
  if [ -f "$CACHE_DIR/$v/FAILED" ] && [ -z "${CONSUL_RETRY_FAILED:-}" ]; then
    log "==> Skipping consul v$v: an earlier build failed (see $CACHE_DIR/$v/FAILED; CONSUL_RETRY_FAILED=1 retries)"
    continue
  fi
  # go build's exit status is lost in the pipe above, so success is the binary itself.
  set +e
  build_one "$v"
  outcome=$?
  set -e
  rm -rf "$work"
  work=""
  if usable "$CACHE_DIR/$v/consul"; then
    report "$want_version" "$CACHE_DIR/$v/consul"
  fi
  if [ "$outcome" -eq 2 ]; then
    # A download failure says nothing about the version (offline, proxy busy): remember nothing.
    log "==> consul v$v could not be downloaded; trying the next version"
    continue
  fi
  mkdir -p "$CACHE_DIR/$v"
  date -u +"build failed at %Y-%m-%dT%H:%M:%SZ with $(go version)" > "$CACHE_DIR/$v/FAILED"
  log "==> consul v$v did not build; trying the next version"
done

die "no Consul version in [$CANDIDATES] could be built; the errors are above. Put a consul >= $MIN_VERSION on PATH or set CONSUL_BIN."
