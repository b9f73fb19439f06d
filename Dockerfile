# syntax=docker/dockerfile:1
# One image for the four Switchboard apps and the migration runner; the command picks which:
#   docker build -t switchboard .
#   docker run --rm -p 8001:8001 --env-file .env switchboard node scripts/run-app.mjs instance-manager
# docker-compose.yml runs all of them from this image.

ARG NODE_IMAGE=node:24-slim

# ---- build: dependencies, Prisma client, dist/ -------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests first so the npm ci layer is reused until the dependencies change.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

COPY . .

# The build context has no .git: pass the commit to show in the apps' Consul meta ("build"), e.g.
#   docker build --build-arg BUILD_ID=$(git rev-parse --short=12 HEAD) -t switchboard .
# Without it the build is called "dev".
ARG BUILD_ID=""
# `npm run build` (scripts/build.sh) generates the Prisma client into libs/database/src/generated
# and compiles everything to dist/ (with dist/build-info.json). Dev dependencies go afterwards.
RUN BUILD_ID="${BUILD_ID}" npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Root-owned and read-only for the app user: the running process cannot alter its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# prisma/migrations is read by the migration runner (node scripts/run-app.mjs migrate).
COPY --from=build /app/prisma ./prisma
# dist/ needs no loader: the build rewrote the library aliases to relative paths.
COPY --from=build /app/scripts/run-app.mjs ./scripts/

USER node

# api-gateway, instance-manager, intelligent-router, load-balancer (each reads PORT).
EXPOSE 8000-8003

CMD ["node", "scripts/run-app.mjs", "api-gateway"]
