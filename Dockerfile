# lossd container image.
#
#   docker build -t lossd:latest .          (or: podman build -t lossd:latest .)
#   docker run --rm -p 8080:8080 lossd:latest
#
# Three stages on the same base: `build` compiles TypeScript with the full dependency tree,
# `deps` installs the production dependencies only, and the final stage ships dist/,
# the production node_modules and package.json - no compiler, no tests, no npm cache.
#
# Node.js 26, the LTS line that measured best for lossd against 24 (BENCHMARKS.md, "Node.js
# lines"); lossd also runs on 20 and 24 (package.json engines; CI runs tests on the image's line too).

# ---------------------------------------------------------------- build: tsc -> dist/
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies are needed for the compiler (typescript, @types/node). esbuild's
# postinstall (pulled in by vitest/tsx) only checks its native binary; it runs here and
# nowhere else.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ ./src/
RUN npm run build

# ---------------------------------------------------------------- deps: production node_modules
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No runtime dependency has an install script; --ignore-scripts keeps it that way.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------- runtime
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
# Files stay owned by root (read-only for the service); the process runs as `node` (uid 1000).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 8080
# The slim image has no curl or wget: Node's built-in fetch does the probe. Exec form, so the
# port comes from the container's environment at check time.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs the server directly (no `npm start`, no shell in between): the base image's
# docker-entrypoint.sh `exec`s the command, so node is PID 1 and receives SIGTERM itself.
# The server installs its own SIGTERM/SIGINT handlers (close-with-grace): readiness turns
# 503, in-flight requests finish, the worker pool closes, exit 0 - or exit after a 10 s
# grace delay. Node has no child processes (the workers are threads), so there are no
# zombies to reap and no --init / tini is needed.
CMD ["node", "dist/src/server.js"]
