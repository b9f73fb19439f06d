# The race's tools, built or installed once into a cache and reused (sourced by scripts/bench.sh
# after common.sh). Each function exports the path it provides; progress goes to stderr.
#
#   BENCH_VEGETA_BIN         vegeta, `go install github.com/tsenart/vegeta/v12@$VEGETA_VERSION`
#   BENCH_MOCK_UPSTREAM_BIN  bench/go/mock-upstream, rebuilt when bench/go changes
#   BENCH_TTFB_BIN           bench/go/ttfb, likewise
#   BENCH_PORTKEY_ENTRY      Portkey's start-server.js from `npm install @portkey-ai/gateway@$PORTKEY_VERSION`,
#                            or BENCH_PORTKEY_MISSING saying why there is none (the race runs without it)

BENCH_CACHE="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}/bench"
VEGETA_VERSION="${BENCH_VEGETA_VERSION:-v12.13.0}"
PORTKEY_VERSION="${BENCH_PORTKEY_VERSION:-1.15.2}"

# The Go toolchain: on PATH, or where the official tarball puts it.
find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  if [ -x /usr/local/go/bin/go ]; then printf '%s\n' /usr/local/go/bin/go; return 0; fi
  fail "the race needs Go (>= 1.24) to build vegeta and its mock upstream: install it or put it on PATH"
}

ensure_vegeta() {
  local dir="$BENCH_CACHE/vegeta-$VEGETA_VERSION"
  if [ ! -x "$dir/vegeta" ]; then
    local go; go="$(find_go)"
    step "Building vegeta $VEGETA_VERSION from the Go module proxy into $dir (once; a minute or two)"
    rm -rf "$dir.partial" && mkdir -p "$dir.partial"
    (cd "$BENCH_CACHE" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$dir.partial" \
      "$go" install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >&2) ||
      fail "building vegeta $VEGETA_VERSION failed: see the output above (the Go module proxy must be reachable)"
    rm -rf "$dir" && mv "$dir.partial" "$dir"
  fi
  export BENCH_VEGETA_BIN="$dir/vegeta"
}

# The mock upstream and the TTFB client, cached by a hash of their sources and the Go version.
ensure_bench_go_tools() {
  local go source_dir="$SWITCHBOARD_ROOT/bench/go" hash dir
  go="$(find_go)"
  hash="$( (cd "$source_dir" && find . -name '*.go' -o -name 'go.mod' | LC_ALL=C sort | xargs sha256sum; "$go" version) | sha256sum | cut -c1-16)"
  dir="$BENCH_CACHE/go-tools-$hash"
  if [ ! -x "$dir/mock-upstream" ] || [ ! -x "$dir/ttfb" ]; then
    step "Building the race's Go mock upstream and TTFB client (bench/go) into $dir"
    rm -rf "$dir.partial" && mkdir -p "$dir.partial"
    (cd "$source_dir" && GOTOOLCHAIN=local "$go" build -o "$dir.partial/" ./mock-upstream ./ttfb >&2) ||
      fail "building bench/go failed: see the compiler output above"
    rm -rf "$dir" && mv "$dir.partial" "$dir"
    # Builds of older sources are never used again.
    find "$BENCH_CACHE" -maxdepth 1 -name 'go-tools-*' ! -name "go-tools-$hash" -exec rm -rf {} +
  fi
  export BENCH_MOCK_UPSTREAM_BIN="$dir/mock-upstream" BENCH_TTFB_BIN="$dir/ttfb"
}

# Portkey's gateway is a contestant, not a dependency: it goes into the cache, never package.json.
ensure_portkey() {
  local dir="$BENCH_CACHE/portkey-$PORTKEY_VERSION"
  local entry="$dir/node_modules/@portkey-ai/gateway/build/start-server.js"
  export BENCH_PORTKEY_VERSION="$PORTKEY_VERSION"
  if [ ! -f "$entry" ]; then
    step "Installing @portkey-ai/gateway@$PORTKEY_VERSION from the npm registry into $dir (once)"
    mkdir -p "$dir"
    printf '{"private":true}\n' >"$dir/package.json"
    local log="$dir/install.log"
    if ! npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
      "@portkey-ai/gateway@$PORTKEY_VERSION" >"$log" 2>&1 || [ ! -f "$entry" ]; then
      export BENCH_PORTKEY_MISSING="npm install @portkey-ai/gateway@$PORTKEY_VERSION failed: $(tail -n 1 "$log" | cut -c1-200)"
      step "warning: Portkey is left out of the race: $BENCH_PORTKEY_MISSING (full log: $log)"
      return 0
    fi
  fi
  export BENCH_PORTKEY_ENTRY="$entry"
}
