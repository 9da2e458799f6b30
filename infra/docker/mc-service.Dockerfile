# syntax=docker/dockerfile:1
# Meeting Controller (mc-service). Build from the repository root:
#   docker build -f infra/docker/mc-service.Dockerfile -t darktower/mc-service:dev .
# Multi-stage: the build stage installs every dependency and compiles services/meeting and the packages it uses to
# JavaScript (tsc -b); the runtime stage gets production dependencies and compiled output only, runs as an
# unprivileged user and writes nothing outside /tmp (run with --read-only --tmpfs /tmp, or readOnlyRootFilesystem).
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The context is filtered by mc-service.Dockerfile.dockerignore (no node_modules, dist, .git, secrets).
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
RUN npm ci --no-audit --no-fund --ignore-scripts
RUN node node_modules/typescript/bin/tsc -b services/meeting
# Production dependencies only for the runtime stage.
RUN npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
  && find packages services -name '*.tsbuildinfo' -delete

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/packages/ packages/
COPY --from=build /app/services/meeting/ services/meeting/
# Listen on every interface inside the container; ports as in infra/services (ops 8080 for the probes).
ENV MC_HOST=0.0.0.0 MC_PORT=443 MC_WS_PORT=4434 MC_RPC_PORT=8443 MC_OPS_HOST=0.0.0.0 MC_OPS_PORT=8080
# node:24-slim has no curl: the health check is a one-line fetch against the ops port's /health (liveness).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MC_OPS_PORT || '8080') + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
EXPOSE 443/udp 4434/tcp 8443/tcp 8080/tcp
USER 10001:10001
CMD ["node", "services/meeting/dist/main.js"]
