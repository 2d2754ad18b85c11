# nightshift image: the worker and the REST API (`docker-compose.yml` runs both from it).
# The Temporal server is not in this image; it runs in its own containers (or is a remote cluster).
# docs/DEPLOY.md explains the image, the compose file and their settings.
#
# Two stages: `build` compiles TypeScript (tsc is a devDependency), `runtime` holds only the compiled
# lib/, bin/ and the production dependencies.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, then tsc -> lib/ ------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci installs exactly package-lock.json (dev dependencies included: tsc is one); the lock file lists
# every platform's optional packages (@swc/core-*), so it installs on any platform.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# ---- runtime: production dependencies, compiled code, git -------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# git: the pipeline reads, branches and commits the target repository (worktrees, auto-commit).
# openssh-client: lets PIPELINE_AUTO_PUSH push to ssh remotes. ca-certificates: https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# The image runs as the unprivileged `node` user (uid/gid 1000). The repositories are bind-mounted
# and must be writable by that user: build with NIGHTSHIFT_UID/NIGHTSHIFT_GID = your own ids when
# they are not 1000 (docker-compose.yml passes them through from the environment or .env).
ARG NIGHTSHIFT_UID=1000
ARG NIGHTSHIFT_GID=1000
RUN if [ "$NIGHTSHIFT_UID" != "1000" ] || [ "$NIGHTSHIFT_GID" != "1000" ]; then \
      groupmod -o -g "$NIGHTSHIFT_GID" node \
      && usermod -o -u "$NIGHTSHIFT_UID" -g "$NIGHTSHIFT_GID" node \
      && chown -R node:node /home/node; \
    fi

# Agent CLIs published on npm can be baked in at build time, for example
#   AGENT_NPM_PACKAGES="@anthropic-ai/claude-code @openai/codex"
# Empty by default: the built-in demo agent needs nothing. Other agents (cursor-agent, aider) are
# installed by an image built FROM this one (docs/DEPLOY.md, "Agent CLIs and credentials").
ARG AGENT_NPM_PACKAGES=""
RUN if [ -n "$AGENT_NPM_PACKAGES" ]; then \
      npm install -g --no-audit --no-fund $AGENT_NPM_PACKAGES && npm cache clean --force; \
    fi

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/lib ./lib
COPY bin ./bin
# The dashboard (GET / of the API): static files served as they are, no build step.
COPY web ./web

USER node

# Default: a worker. docker-compose.yml gives each service its own command (worker / api, --project).
CMD ["node", "bin/nightshift.js", "worker"]
