# Breakglass server image. Keys are generated into /var/lib/breakglass/certs at first
# start (mount a volume there); they are never baked into the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY tools ./tools
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/* \
  && useradd --system --home /var/lib/breakglass --create-home breakglass
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web UI's stylesheet, script and icon are read from src/web/public at start-up.
COPY --from=build /app/src/web/public ./src/web/public
COPY package.json ./
COPY bin ./bin
COPY policies ./policies
USER breakglass
ENV BREAKGLASS_DATA_DIR=/var/lib/breakglass/data BREAKGLASS_CERTS_DIR=/var/lib/breakglass/certs
EXPOSE 8080 2222
ENTRYPOINT ["node", "bin/breakglass.js"]
CMD ["serve", "--config", "/etc/breakglass/breakglass.yaml"]
