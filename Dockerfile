# armbridge container. Node 24 runs the TypeScript sources directly (type stripping), so the only
# build step is installing the production dependencies, done in a Node image that has npm. The
# runtime is distroless: Node and glibc, no shell, no npm, no package manager; the runtime stage has
# no RUN, since there is nothing to run one with. It runs as the fixed non-root uid 10001 that the
# VM's IMDS firewall lets through (deploy/imds/armbridge-imds-lockdown.sh), with a read-only root
# filesystem: nothing is written outside the data volume, Node's compile cache included, so the
# cache survives restarts and only a new image compiles again.
#
# Both bases are pinned by digest. The digests were taken from public references, not pulled here:
# refresh them before a release with
#   docker buildx imagetools inspect node:24-slim --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/nodejs24-debian12 --format '{{json .Manifest.Digest}}'
ARG BUILD_IMAGE=node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12@sha256:b35a10df56aa17825e81e836ff70fe3c27002809dd94e6bfd655ed05bac52230

FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts: armbridge has no native addons, so no dependency needs to run code at install.
# The workspaces (packages/azure-emulator, examples/client) are not in the context: npm ci installs
# none of them, nor what only they need.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && mkdir data

FROM ${RUNTIME_IMAGE}
# glibc gives each thread that allocates concurrently a malloc arena of its own, up to eight per core;
# armbridge's threads (the event loop, the SQLite writer, V8's GC helpers, libuv's pool) need no more
# than two to keep from waiting on each other, and each arena holds on to memory it freed.
# bench/targets.ts starts armbridge with this same environment.
ENV NODE_ENV=production \
    ARMBRIDGE_HOST=0.0.0.0 \
    ARMBRIDGE_PORT=8080 \
    ARMBRIDGE_DATA_DIR=/var/lib/armbridge \
    NODE_COMPILE_CACHE=/var/lib/armbridge/compile-cache \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY src ./src
COPY --from=deps --chown=10001:10001 /app/data /var/lib/armbridge
USER 10001:10001
VOLUME ["/var/lib/armbridge"]
EXPOSE 8080
# Liveness through Node itself: the image has no shell and no curl. The VM acts on it
# (deploy/systemd/armbridge-health.timer), since Docker only marks an unhealthy container.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:' + process.env.ARMBRIDGE_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains running jobs (server.shutdownTimeoutSeconds); run with --init so a PID 1 reaps children.
STOPSIGNAL SIGTERM
# V8's young generation grows to 128 MB under sustained load by default, most of armbridge's resident
# memory then; 16 MB semi-spaces keep it at 32 MB. 8 MB ones saved no memory measurably more and
# doubled the GC threads' work on a 5,000-event batch (docs/performance.md has the figures). The old-space ceiling, a quarter of the unit's 1 GB
# container limit (what V8 picks for a machine of that size), leaves room for eight 5,000-event Event
# Grid batches at once. bench/targets.ts starts armbridge with these same flags.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=16", "--max-old-space-size=256", "src/main.ts"]
CMD ["--config", "/etc/armbridge/config.yaml"]
