# syntax=docker/dockerfile:1
# Samsa broker image. Build: docker build -t samsa .   Run: see docs/deployment.md.
# Stage 1 compiles the TypeScript sources with the dev dependencies; stage 2 carries only the compiled broker
# and the production dependencies (their native modules come prebuilt for linux-x64-gnu / linux-arm64-gnu).

FROM node:24-bookworm-slim AS build
# zstd-napi fetches a prebuilt binary at install and compiles one when none fits: the toolchain for that.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` compiles, and the sources are not copied yet. The one production dependency
# with an install script (zstd-napi) runs it through npm rebuild.
RUN npm ci --ignore-scripts && npm rebuild zstd-napi
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
# Only src/ is compiled: tests, benchmarks and scripts stay out of the image.
RUN printf '{"extends":"./tsconfig.json","include":["src/**/*.ts"]}\n' > tsconfig.build.json \
  && npx tsc -p tsconfig.build.json \
  && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# A system user without a login shell owns the data; the broker never runs as root.
RUN groupadd --system --gid 10001 samsa \
  && useradd --system --uid 10001 --gid samsa --home-dir /var/lib/samsa --shell /usr/sbin/nologin samsa \
  && mkdir -p /var/lib/samsa/data \
  && chown -R samsa:samsa /var/lib/samsa
WORKDIR /opt/samsa
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY --from=build /build/bin ./bin
USER samsa:samsa
VOLUME ["/var/lib/samsa"]
# 9092: the Kafka listener. 9644: the admin listener (health, readiness, metrics).
EXPOSE 9092 9644
# /readyz is served by the admin listener; the image has no curl, so Node's fetch asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9644/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The broker ends on SIGTERM (docker stop) with a controlled shutdown and removes its log dir locks.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/samsa/bin/samsa.js"]
CMD ["broker", "--override", "listeners=PLAINTEXT://0.0.0.0:9092", "--override", "advertised.listeners=PLAINTEXT://localhost:9092", "--override", "log.dirs=/var/lib/samsa/data"]
