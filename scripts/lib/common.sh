# Shared by the project's scripts: source it, then call the steps you need.
# Each step is idempotent and cheap when there is nothing to do.

SWITCHBOARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE_VERSION_WANTED="${SWITCHBOARD_NODE_VERSION:-24.21.0}"

step() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The project targets Node 24 LTS. When the node on PATH is older, fetch the official binary from
# the npm registry package node-linux-<arch> into .tools/ and put it first on PATH.
ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 24 ]; then return 0; fi
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) fail "no Node 24 package for $(uname -m): install Node 24 yourself and put it on PATH" ;;
  esac
  local dir="$SWITCHBOARD_ROOT/.tools/node-$NODE_VERSION_WANTED"
  local bin="$dir/node_modules/node-linux-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null 2>&1 || fail "Node ${major:-none} is too old and npm is missing: install Node 24"
    step "Node on PATH is ${major:-missing}; fetching node-linux-$arch@$NODE_VERSION_WANTED from the npm registry"
    mkdir -p "$dir"
    printf '{"private":true}\n' >"$dir/package.json"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-$arch@$NODE_VERSION_WANTED" >&2 || fail "could not install node-linux-$arch@$NODE_VERSION_WANTED from the npm registry"
  fi
  export PATH="$bin:$PATH"
}

# Installs dependencies when package-lock.json changed since the last install.
ensure_dependencies() {
  local stamp="$SWITCHBOARD_ROOT/node_modules/.switchboard-lock"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$SWITCHBOARD_ROOT/package-lock.json"; then return 0; fi
  step "Installing dependencies (npm ci)"
  (cd "$SWITCHBOARD_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || fail "npm ci failed: see the output above"
  cp "$SWITCHBOARD_ROOT/package-lock.json" "$stamp"
}

# prisma generate needs no schema engine, but the CLI insists on finding one before it starts and
# cannot download it here. Pointing it at a stub that explains itself lets generate run; commands
# that really need the engine fail with that explanation. Migrations are applied by our own runner
# (libs/database/src/migrator.ts), which keeps Prisma's _prisma_migrations bookkeeping.
ensure_prisma_client() {
  local out="$SWITCHBOARD_ROOT/libs/database/src/generated/prisma"
  local stamp="$out/.schema"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$SWITCHBOARD_ROOT/prisma/schema.prisma"; then return 0; fi
  step "Generating the Prisma client"
  local engine="${PRISMA_SCHEMA_ENGINE_BINARY:-}"
  if [ -z "$engine" ]; then
    engine="$SWITCHBOARD_ROOT/.tools/schema-engine-unavailable"
    mkdir -p "$SWITCHBOARD_ROOT/.tools"
    printf '#!/bin/sh\necho "The Prisma schema engine is not installed here; apply migrations with: npm run migrate" >&2\nexit 1\n' >"$engine"
    chmod +x "$engine"
  fi
  (cd "$SWITCHBOARD_ROOT" && PRISMA_SCHEMA_ENGINE_BINARY="$engine" PRISMA_HIDE_UPDATE_MESSAGE=1 \
    node node_modules/prisma/build/index.js generate >&2) || fail "prisma generate failed: see the output above"
  cp "$SWITCHBOARD_ROOT/prisma/schema.prisma" "$stamp"
}

build() {
  step "Compiling TypeScript"
  (cd "$SWITCHBOARD_ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json) || fail "the TypeScript build failed: see the errors above"
  # Library aliases become relative paths in dist/, so plain node runs it (no loader hook).
  (cd "$SWITCHBOARD_ROOT" && node scripts/rewrite-aliases.mjs dist) || fail "rewriting library aliases in dist/ failed: see the error above"
  # Version and commit for the apps' Consul meta; works without git (the Docker build has no .git).
  (cd "$SWITCHBOARD_ROOT" && node scripts/write-build-info.mjs dist) || fail "writing dist/build-info.json failed: see the error above"
  # The operator console's browser files are served as written (plain ES modules and CSS, nothing
  # to compile); they go next to the compiled instance-manager, so dist/ alone runs it.
  (cd "$SWITCHBOARD_ROOT" && rm -rf dist/apps/instance-manager/console &&
    cp -R apps/instance-manager/console dist/apps/instance-manager/console) || fail "copying the console's files to dist/ failed"
}

# Everything a fresh clone lacks before it can run: Node 24, packages, the Prisma client, dist/.
prepare() {
  ensure_node
  ensure_dependencies
  ensure_prisma_client
  build
}

# Locates (or builds) Consul into CONSUL_BIN and checks that the Postgres and Redis the tests and
# the benchmark use are reachable, with what to do when they are not.
ensure_test_services() {
  step "Locating Consul (built once from the Go module proxy when missing; cached afterwards)"
  CONSUL_BIN="$(bash consul/scripts/install_consul.sh --version)" || fail "no Consul binary: see the messages above"
  export CONSUL_BIN

  database_url="${TEST_DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
  redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
  node -e '
    const net = require("node:net");
    const [pgUrl, redisUrl] = process.argv.slice(1).map((u) => new URL(u));
    const probe = (url, port, what, hint) => new Promise((ok) => {
      const socket = net.connect(Number(url.port || port), url.hostname, () => { socket.end(); ok(); });
      socket.setTimeout(2000, () => socket.destroy(new Error("timeout")));
      socket.on("error", (e) => { console.error(`error: ${what} is not reachable at ${url.host} (${e.message}). ${hint}`); process.exit(1); });
    });
    Promise.all([
      probe(pgUrl, 5432, "PostgreSQL", "Start it, or point TEST_DATABASE_ADMIN_URL at one (trust auth, a user that may CREATE DATABASE)."),
      probe(redisUrl, 6379, "Redis", "Start it, or point TEST_REDIS_URL at one."),
    ]);
  ' "$database_url" "$redis_url"
}

# tests_include DIR [TARGET...]: whether `npm test -- TARGET...` runs tests under DIR (as
# test/observability). No target runs everything; a target runs DIR's tests when it names a path in
# DIR, or a directory or glob above it (dist/test, dist/test/**/*.test.js).
tests_include() {
  local dir=$1 target prefix
  shift
  [ "$#" -gt 0 ] || return 0
  for target in "$@"; do
    target="${target#./}"
    case "$target" in *"$dir"*) return 0 ;; esac
    prefix="${target%%[*?[]*}"
    [ "$prefix" != "$target" ] || prefix="${target%/}/"
    case "dist/$dir/" in "$prefix"*) return 0 ;; esac
  done
  return 1
}

# Installs one Debian (or Ubuntu) package with apt-get, as root or through `sudo -n`, or fails with
# what to do by hand: apt_install <package> <what it is for> <hint>.
apt_install() {
  local package="$1" purpose="$2" hint="$3"
  command -v apt-get >/dev/null 2>&1 || fail "$purpose is missing and there is no apt-get: $hint"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "$purpose is missing and installing it needs root: $hint"
    sudo=(sudo -n)
  fi
  step "Installing $purpose (apt-get install $package)"
  { "${sudo[@]}" apt-get update -q >&2 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$package" >&2
  } || fail "apt-get could not install $package (see the output above): $hint"
}

# The console tests (test/console) drive a real headless Chromium through puppeteer-core, which
# never downloads a browser: Debian's (or Ubuntu's) package chromium is installed when no chromium
# is on PATH (about 100 MB, once). CHROMIUM_BIN points at a browser found elsewhere.
ensure_chromium() {
  CHROMIUM_BIN="${CHROMIUM_BIN:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_BIN" ]; then
    apt_install chromium "Chromium for the console tests" \
      "install the package chromium yourself (apt-get install chromium), or set CHROMIUM_BIN to a Chromium or Chrome binary"
    CHROMIUM_BIN="$(command -v chromium || command -v chromium-browser)" ||
      fail "chromium is installed but no chromium binary is on PATH: set CHROMIUM_BIN"
  fi
  export CHROMIUM_BIN
}

# The observability tests (test/observability) run a real Prometheus (with promtool) and Alertmanager.
# Alertmanager: Debian's and Ubuntu's package prometheus-alertmanager (its binary keeps the
# package's name), installed with apt-get when missing. Prometheus and promtool: their
# prometheus package is built without Consul discovery, which observability/prometheus.yml uses,
# so scripts/install-prometheus.sh takes a capable one from PATH or builds one (once, cached) from
# the Go module proxy. ALERTMANAGER_BIN and PROMETHEUS_DIR point at binaries found elsewhere.
ensure_prometheus_tools() {
  ALERTMANAGER_BIN="${ALERTMANAGER_BIN:-$(command -v alertmanager || command -v prometheus-alertmanager || true)}"
  if [ -z "$ALERTMANAGER_BIN" ]; then
    apt_install prometheus-alertmanager "Alertmanager for the observability tests" \
      "install the package prometheus-alertmanager yourself (apt-get install prometheus-alertmanager), or set ALERTMANAGER_BIN to an alertmanager binary"
    ALERTMANAGER_BIN="$(command -v alertmanager || command -v prometheus-alertmanager)" ||
      fail "prometheus-alertmanager is installed but no alertmanager binary is on PATH: set ALERTMANAGER_BIN"
  fi
  step "Locating Prometheus with Consul discovery (built once from the Go module proxy when missing; cached afterwards)"
  PROMETHEUS_DIR="$(bash "$SWITCHBOARD_ROOT/scripts/install-prometheus.sh")" || fail "no Prometheus with Consul discovery: see the messages above"
  export ALERTMANAGER_BIN PROMETHEUS_DIR
}

# kustomize and the deployment validators (deploy/tools), built once from the Go module proxy and
# cached, exported for test/deploy so the tests themselves never wait for a build.
ensure_deploy_tools() {
  step "Locating kustomize and the manifest validators (built once from the Go module proxy; cached afterwards)"
  local found
  found="$(bash "$SWITCHBOARD_ROOT/deploy/scripts/install_tools.sh")" || fail "no kustomize or manifest validators: see the messages above"
  while IFS='=' read -r name path; do export "$name=$path"; done <<<"$found"
}
