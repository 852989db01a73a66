# The operator image: etcd-controller and etcd-webhook (one image, the container's command picks).
# Build: docker build -t ghcr.io/etcd-k8s-operator/etcd-k8s-operator:$(node -p 'require("./package.json").version') .
# Same Node major as `make setup` pins (24 LTS).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY core core
COPY controller controller
COPY guard guard
COPY backup backup
COPY webhook webhook
COPY plugin plugin
COPY localcluster localcluster
COPY bench bench
RUN node node_modules/typescript/bin/tsc -p tsconfig.json && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY bin bin
RUN ln -s /app/bin/etcd-controller /usr/local/bin/etcd-controller \
 && ln -s /app/bin/etcd-webhook /usr/local/bin/etcd-webhook \
 && ln -s /app/bin/etcd-member-guard /usr/local/bin/etcd-member-guard \
 && ln -s /app/bin/etcd-backup /usr/local/bin/etcd-backup
# The node image's unprivileged user; manifests also set runAsNonRoot and a read-only root filesystem.
USER 1000:1000
ENTRYPOINT []
CMD ["etcd-controller"]
