#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH (fetched into .tools/ when the machine's node is older).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_node
exec "$@"
