#!/usr/bin/env bash
# Finds or builds the tools that check the deployment files offline, and prints where they are on
# stdout as NAME=path lines (progress goes to stderr):
#
#   KUSTOMIZE_BIN         kustomize, `go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION`
#   K8S_VALIDATE_BIN      deploy/tools/k8s-validate: strict decoding into the k8s.io/api types
#   COMPOSE_VALIDATE_BIN  deploy/tools/compose-validate: docker-compose.yml through compose-go's loader
#
# Each is built once with the machine's Go from the Go module proxy and cached in
# ~/.cache/switchboard/deploy/ (SWITCHBOARD_CACHE_DIR or XDG_CACHE_HOME move it); the validators are
# rebuilt when deploy/tools or the Go version changes. A kustomize on PATH is not used: its version
# would decide what the tests render.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# v5.8.2 is the newest kustomize whose go.mod asks for no newer Go than 1.26 (v5.8.3 needs 1.27).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
CACHE_DIR="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}/deploy"

log() { printf '%s\n' "$*" >&2; }
die() { log "install_tools: $*"; exit 1; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  if [ -x /usr/local/go/bin/go ]; then printf '%s\n' /usr/local/go/bin/go; return 0; fi
  die "building kustomize and the manifest validators needs Go (>= 1.26): install it or put it on PATH"
}

mkdir -p "$CACHE_DIR"

kustomize_dir="$CACHE_DIR/kustomize-$KUSTOMIZE_VERSION"
if [ ! -x "$kustomize_dir/kustomize" ]; then
  go="$(find_go)"
  log "==> Building kustomize $KUSTOMIZE_VERSION from the Go module proxy into $kustomize_dir (once; about a minute on 2 cores)"
  started=$(date +%s)
  rm -rf "$kustomize_dir.partial" && mkdir -p "$kustomize_dir.partial"
  # Outside the repository, so no go.mod of ours takes part in the install.
  (cd "$CACHE_DIR" && GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" GOBIN="$kustomize_dir.partial" \
    "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2) ||
    die "building kustomize $KUSTOMIZE_VERSION failed: see the output above (the Go module proxy must be reachable; KUSTOMIZE_VERSION picks another version)"
  rm -rf "$kustomize_dir" && mv "$kustomize_dir.partial" "$kustomize_dir"
  log "==> Built kustomize in $(( $(date +%s) - started ))s"
fi

# The validators, cached by a hash of their sources, go.mod/go.sum and the Go version.
source_dir="$ROOT/deploy/tools"
go="$(find_go)"
hash="$( (cd "$source_dir" && find . -name '*.go' -o -name 'go.mod' -o -name 'go.sum' | LC_ALL=C sort | xargs sha256sum; "$go" version) | sha256sum | cut -c1-16)"
tools_dir="$CACHE_DIR/validators-$hash"
if [ ! -x "$tools_dir/k8s-validate" ] || [ ! -x "$tools_dir/compose-validate" ]; then
  log "==> Building the manifest validators (deploy/tools: k8s.io/api, compose-go) into $tools_dir (once per change; about a minute on 2 cores)"
  started=$(date +%s)
  rm -rf "$tools_dir.partial" && mkdir -p "$tools_dir.partial"
  (cd "$source_dir" && GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" "$go" build -o "$tools_dir.partial/" ./k8s-validate ./compose-validate >&2) ||
    die "building deploy/tools failed: see the compiler output above (the Go module proxy must be reachable)"
  rm -rf "$tools_dir" && mv "$tools_dir.partial" "$tools_dir"
  # Builds of older sources are never used again.
  find "$CACHE_DIR" -maxdepth 1 -name 'validators-*' ! -name "validators-$hash" -exec rm -rf {} +
  log "==> Built the validators in $(( $(date +%s) - started ))s"
fi

printf 'KUSTOMIZE_BIN=%s\nK8S_VALIDATE_BIN=%s\nCOMPOSE_VALIDATE_BIN=%s\n' \
  "$kustomize_dir/kustomize" "$tools_dir/k8s-validate" "$tools_dir/compose-validate"
