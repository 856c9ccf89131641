# armbridge container. Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build step beyond installing production dependencies.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production ARMBRIDGE_DATA_DIR=/var/lib/armbridge ARMBRIDGE_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
RUN mkdir -p /var/lib/armbridge && chown node:node /var/lib/armbridge
USER node
VOLUME ["/var/lib/armbridge"]
EXPOSE 8080
ENTRYPOINT ["node", "src/main.ts"]
CMD ["--config", "/etc/armbridge/config.yaml"]
