# syntax=docker/dockerfile:1
# huaweicloud-job-exporter: build with the dev dependencies, run with the production ones only.
#   docker build -t huaweicloud-job-exporter .
#   docker run -p 9873:9873 huaweicloud-job-exporter --demo --listen-address 0.0.0.0:9873
#   docker run -p 9873:9873 -v $PWD/config:/etc/huaweicloud-job-exporter:ro huaweicloud-job-exporter
# test/integration/docker.test.ts repeats the runtime stage's steps without a Docker engine.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ARG REVISION=unknown
ENV NODE_ENV=production \
    HUAWEICLOUD_JOB_EXPORTER_REVISION=${REVISION}
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /src/dist ./dist
# Served on /dashboards/ (src/dashboards.ts reads ../grafana/dashboards from dist/).
COPY grafana/dashboards ./grafana/dashboards
# Served on /docs/, which the landing page links to (src/server.ts reads ../docs from dist/).
COPY docs ./docs
# A numeric non-root user, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 9873
VOLUME ["/etc/huaweicloud-job-exporter"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--config", "/etc/huaweicloud-job-exporter/config.yml"]
