#!/usr/bin/env bash
# Generates the Prisma client and compiles everything to dist/ (dependencies must be installed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ensure_node
ensure_prisma_client
build
