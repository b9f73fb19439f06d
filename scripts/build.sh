#!/usr/bin/env bash
# Installs what is missing (Node 24, dependencies), generates the Prisma client and compiles
# everything to dist/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
prepare
