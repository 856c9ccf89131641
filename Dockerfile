# armbridge container. Node 24 runs the TypeScript sources directly (type stripping), so the only
# build step is installing the production dependencies. The runtime stage has no RUN: nothing in it
# needs a shell, and it runs as the fixed non-root uid 10001 that the VM's IMDS firewall lets through
# (deploy/imds/armbridge-imds-lockdown.sh). Nothing is written outside the data volume, so the
# container runs with a read-only root filesystem.
#
# The base is the official node:24-slim multi-platform index, pinned by digest. The digest was taken
# from public references, not pulled here: refresh it before a release with
#   docker buildx imagetools inspect node:24-slim --format '{{json .Manifest.Digest}}'
ARG NODE_IMAGE=node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts: armbridge has no native addons, so no dependency needs to run code at install.
# The workspaces (packages/azure-emulator, examples/client) are not in the context: npm ci installs
# none of them, nor what only they need.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && mkdir data

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    ARMBRIDGE_HOST=0.0.0.0 \
    ARMBRIDGE_PORT=8080 \
    ARMBRIDGE_DATA_DIR=/var/lib/armbridge
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY src ./src
COPY --from=deps --chown=10001:10001 /app/data /var/lib/armbridge
USER 10001:10001
VOLUME ["/var/lib/armbridge"]
EXPOSE 8080
# Liveness through Node itself: the check needs no curl or shell in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.ARMBRIDGE_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains running jobs (server.shutdownTimeoutSeconds); run with --init so a PID 1 reaps children.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/main.ts"]
CMD ["--config", "/etc/armbridge/config.yaml"]
