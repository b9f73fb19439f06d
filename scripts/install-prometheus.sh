#!/usr/bin/env bash
# Finds or builds Prometheus and promtool with Consul service discovery, and prints the directory
# that holds both on stdout (progress goes to stderr).
#
#   scripts/install-prometheus.sh
#
# Order: $PROMETHEUS_DIR if set, a prometheus and promtool on PATH that know consul_sd_configs, a
# build cached by an earlier run, and otherwise a build from the Go module proxy with the
# machine's Go. Debian bookworm's prometheus package is built without Consul discovery (its
# changelog: "Disable Consul SD until its Debian package is back in shape"), and
# observability/prometheus.yml finds the apps through Consul, so that one cannot load it.
#
# The build leaves out every other service discovery (build tags remove_all_sd,enable_consul_sd,
# which Prometheus provides for this) and the embedded web UI: the HTTP API is all the tests use,
# and it is a third of the packages to compile.
set -euo pipefail

VERSION="${PROMETHEUS_VERSION:-3.16.0}"
# Prometheus publishes its Go module as v0.<major><minor, two digits>.<patch>: 3.16.0 is v0.316.0.
MODULE_VERSION="$(echo "$VERSION" | awk -F. '{ printf "v0.%d%02d.%d", $1, $2, $3 }')"
CACHE_DIR="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}/prometheus/$VERSION"

log() { printf '%s\n' "$*" >&2; }
die() { log "install-prometheus: $*"; exit 1; }

# A promtool that accepts a consul_sd_configs block (a build without Consul discovery refuses it).
knows_consul_sd() {
  local dir
  dir="$(mktemp -d)"
  printf 'scrape_configs:\n  - job_name: probe\n    consul_sd_configs:\n      - server: 127.0.0.1:8500\n' >"$dir/prometheus.yml"
  "$1" check config --syntax-only "$dir/prometheus.yml" >/dev/null 2>&1
  local status=$?
  rm -rf "$dir"
  return $status
}

if [ -n "${PROMETHEUS_DIR:-}" ]; then
  [ -x "$PROMETHEUS_DIR/prometheus" ] && [ -x "$PROMETHEUS_DIR/promtool" ] ||
    die "PROMETHEUS_DIR=$PROMETHEUS_DIR has no prometheus and promtool"
  printf '%s\n' "$PROMETHEUS_DIR"
  exit 0
fi

if on_path="$(command -v promtool 2>/dev/null)" && [ -x "$(dirname "$on_path")/prometheus" ] && knows_consul_sd "$on_path"; then
  dirname "$on_path"
  exit 0
fi

if [ -x "$CACHE_DIR/prometheus" ] && [ -x "$CACHE_DIR/promtool" ]; then
  printf '%s\n' "$CACHE_DIR"
  exit 0
fi

go_bin="$(command -v go || true)"
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
[ -n "$go_bin" ] || die "no Go to build Prometheus with: install Go >= 1.26, or put a prometheus and promtool with Consul discovery on PATH (the release binaries from prometheus.io have it), or set PROMETHEUS_DIR"

log "Building Prometheus $VERSION with Consul discovery from the Go module proxy into $CACHE_DIR"
log "(once; about 1,100 packages: some 5 minutes on two cores, longer while other builds run)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
# go install with a version builds the published module as it is, in module mode, outside any
# project: the same sources whoever builds them.
# The pipeline is the condition of the if: as a plain command, errexit (with pipefail) would end
# the script on a failed build before the message below could say what failed.
for command in prometheus promtool; do
  if ! GOBIN="$work/bin" CGO_ENABLED=0 "$go_bin" install -v -trimpath \
    -tags remove_all_sd,enable_consul_sd \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$VERSION" \
    "github.com/prometheus/prometheus/cmd/$command@$MODULE_VERSION" 2>&1 |
    awk -v what="$command" '/^go: / { print; next } { count += 1; if (count % 100 == 0) printf "  %s: %d packages compiled\n", what, count; fflush() }' >&2; then
    die "building $command $MODULE_VERSION failed: see the messages above"
  fi
done
knows_consul_sd "$work/bin/promtool" || die "the promtool just built does not accept consul_sd_configs"
mkdir -p "$CACHE_DIR"
mv "$work/bin/prometheus" "$work/bin/promtool" "$CACHE_DIR/"
log "Built $("$CACHE_DIR/prometheus" --version 2>&1 | head -n1)"
printf '%s\n' "$CACHE_DIR"
