# huaweicloud-job-exporter: built with the dev dependencies, run with the production ones only.
# The cache and secret mounts need BuildKit: the default builder of Docker 23+, or
# DOCKER_BUILDKIT=1 with older engines (Debian bookworm's docker.io 20.10). No `# syntax=` line:
# the built-in frontend has both mounts, and a syntax line makes every build pull a frontend image.
#   docker build -t huaweicloud-job-exporter .
#   docker run -p 9873:9873 huaweicloud-job-exporter --demo --listen-address 0.0.0.0:9873
#   docker run -p 9873:9873 -v $PWD/config:/etc/huaweicloud-job-exporter:ro huaweicloud-job-exporter
# Behind a TLS-intercepting proxy, or with a registry mirror (docs/deploy.md):
#   docker build --secret id=extra_ca_certs,src=/path/to/corporate-ca.pem \
#     --build-arg NPM_CONFIG_REGISTRY=https://npm.example.com/ -t huaweicloud-job-exporter .
# The secret is mounted for the `npm ci` steps only (NODE_EXTRA_CA_CERTS) and never written to a
# layer; the registry argument lives in the stages that install, not in the runtime image's history.
# test/container/ builds this file with a real engine and runs the image.

# Node 24: the active LTS line (Node 20 reached its end of life on 2026-04-30).

# The production dependencies, installed apart so the runtime stage runs nothing.
FROM node:24-bookworm-slim AS deps
ARG NPM_CONFIG_REGISTRY
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=extra_ca_certs \
    if [ -f /run/secrets/extra_ca_certs ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca_certs; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier

# The compiler and the rest of the dev dependencies; only dist/ leaves this stage.
FROM node:24-bookworm-slim AS build
ARG NPM_CONFIG_REGISTRY
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=extra_ca_certs \
    if [ -f /run/secrets/extra_ca_certs ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca_certs; fi; \
    npm ci --no-audit --no-fund --no-update-notifier
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ARG REVISION=unknown
ENV NODE_ENV=production \
    HUAWEICLOUD_JOB_EXPORTER_REVISION=${REVISION}
WORKDIR /app
# package.json: src/version.ts reads the version from it.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Served on /dashboards/ (src/http/dashboards.ts reads ../../grafana/dashboards from dist/http/).
COPY grafana/dashboards ./grafana/dashboards
# Served on /docs/, which the landing page links to (src/http/landing.ts reads ../../docs from dist/http/).
COPY docs ./docs
# A numeric non-root user, so Kubernetes' runAsNonRoot can verify it. Everything above belongs
# to root (readable, not writable, by this user); the exporter writes nothing, so --read-only works.
USER 65532:65532
EXPOSE 9873
VOLUME ["/etc/huaweicloud-job-exporter"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--config", "/etc/huaweicloud-job-exporter/config.yml"]
