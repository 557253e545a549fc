# tokenmeter — every target installs what it needs from the package registries, idempotently.
# Node 24 comes from the npm registry into .cache/node; Kafka jars from Maven Central into
# .cache/kafka; FerretDB is built with the Go toolchain into .cache/bin. State is in .local/.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_VERSION := 24.21.0
NODE_BIN := $(CURDIR)/.cache/node/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
export TOKENMETER_NODE_VERSION := $(NODE_VERSION)
# Nest 12 packages are ESM; jest loads them through Node's VM modules.
JEST_NODE_OPTIONS := --experimental-vm-modules --disable-warning=ExperimentalWarning

.PHONY: help node install build lint typecheck format-check schemas-check check servers-up servers-down \
        servers-status test test-unit test-integration test-e2e test-faults test-deploy deploy-tools helm-docs \
        chromium test-browser screenshots \
        images dev dev-stop clean up bootstrap kubeconfig monitoring deploy validate verify-scale-hpa destroy

# The help texts are read from this file's text, so a $(NODE_VERSION) in one is put in here.
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F ':.*## ' -v node='$(NODE_VERSION)' '{gsub(/\$$\(NODE_VERSION\)/, node, $$2); printf "  make %-18s %s\n", $$1, $$2}'

node: ## Node.js $(NODE_VERSION) into .cache/node (from the npm registry)
	@scripts/dev/ensure-node.sh

install: node node_modules/.install-stamp ## npm ci when package-lock.json changed

node_modules/.install-stamp: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: install ## compile the three services into dist/, with the web console the query API serves
	rm -rf dist
	npx nest build producer
	npx nest build processor
	npx nest build query-api
	npm run --silent build:console

lint: install ## ESLint (type-aware) over apps, libs, tests and scripts
	npx eslint .

typecheck: install ## tsc --noEmit over the whole repository (the console with the DOM types)
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p apps/console/tsconfig.json --noEmit

format-check: install ## Prettier check
	npx prettier --check .

schemas-check: install ## JSON Schema files in libs/contracts/schemas match the contract definitions
	npm run --silent schemas:check

check: typecheck lint format-check schemas-check ## every static check

servers-up: node ## start Kafka and FerretDB (or use KAFKA_BROKERS / MONGO_URL), wait until they answer
	scripts/dev/servers.sh up

servers-down: ## stop the local servers started by servers-up
	scripts/dev/servers.sh down

servers-status:
	scripts/dev/servers.sh status

test: install ## static checks, unit, deploy-artifact (offline), integration, e2e and fault tests on real Kafka + FerretDB; prints "N passed, N failed"
	scripts/test/run-all.sh

test-unit: install ## unit tests only (no servers)
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config jest.config.js

test-integration: install ## integration tests (starts the servers if needed)
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config test/jest-integration.config.js

test-e2e: build ## end-to-end tests over the built services (starts the servers if needed)
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config test/jest-e2e.config.js

test-faults: build ## fault-injection suite: processor kills, broker restart, database outage, scaling, duplicates, poison
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config test/jest-faults.config.js

chromium: ## Debian's chromium for the browser tests and screenshots (apt-get; CHROMIUM_PATH names another)
	scripts/dev/ensure-chromium.sh

test-browser: build chromium ## the web console in headless Chromium against the real services (starts the servers if needed)
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config test/jest-browser.config.js

screenshots: build chromium ## regenerate docs/screenshots/*.png of the console (light, dark, tenant key) from a seeded dataset
	node -r @swc-node/register test/browser/screenshots.ts

deploy-tools: install ## helm, kubeconform, helm-unittest, helm-docs, OpenTofu, tflint, compose (Go module proxy) and schemas (PyPI) into .cache
	scripts/deploy/tools.sh all

test-deploy: install deploy-tools ## offline checks of the Helm charts, Terraform, docker-compose.yml, the Dockerfile and the shell scripts (scripts/dev on ports of their own)
	NODE_OPTIONS="$(JEST_NODE_OPTIONS)" npx jest --config test/jest-deploy.config.js

helm-docs: deploy-tools ## regenerate the charts' README values tables from values.yaml comments
	.cache/bin/helm-docs --chart-search-root deploy/helm --sort-values-order file --skip-version-footer

IMAGE_REGISTRY ?=
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null)
images: ## build and push the three images (needs a Docker engine): IMAGE_REGISTRY=registry/path [IMAGE_TAG=...]
	@test -n "$(IMAGE_REGISTRY)" || { echo "IMAGE_REGISTRY is required, e.g. make images IMAGE_REGISTRY=ghcr.io/you/tokenmeter"; exit 2; }
	for app in producer processor query-api; do \
	  docker build -f deploy/docker/Dockerfile --target $$app -t $(IMAGE_REGISTRY)/$$app:$(IMAGE_TAG) . && \
	  docker push $(IMAGE_REGISTRY)/$$app:$(IMAGE_TAG) || exit 1; \
	done

# The cluster, in order (docs/DEPLOY.md). These need an AWS account and a cluster; CI never runs them.
up: ## 1-5 in one go with one TOPOLOGY: bootstrap, kubeconfig, monitoring, deploy, validate (TF_VAR_api_allowed_cidrs, IMAGE_REGISTRY)
	IMAGE_TAG="$(IMAGE_TAG)" scripts/cluster/cluster.sh up

bootstrap: ## 1. tofu apply: VPC and K3s on EC2 (TF_VAR_api_allowed_cidrs, TOPOLOGY=single|ha picks the example root)
	scripts/cluster/cluster.sh bootstrap

kubeconfig: ## 2. kubeconfig from the Terraform outputs (via SSM) into .local/cluster/kubeconfig
	scripts/cluster/cluster.sh kubeconfig

monitoring: ## 3. kube-prometheus-stack, Loki and Grafana Alloy (+ KEDA with TOPOLOGY=ha)
	scripts/cluster/cluster.sh monitoring

deploy: ## 4. Kafka, MongoDB and tokenmeter with helm upgrade --install (TOPOLOGY=single|ha, IMAGE_REGISTRY, IMAGE_TAG)
	IMAGE_TAG="$(IMAGE_TAG)" scripts/cluster/cluster.sh deploy

validate: ## 5. smoke test through port-forwards: post events, read them back
	scripts/cluster/cluster.sh validate

verify-scale-hpa: ## 6. load from an in-cluster Job through the producer Service (LOAD_RATE, LOAD_SECONDS, LOAD_PODS); print HPA replicas and lag from Prometheus
	scripts/cluster/cluster.sh verify-scale-hpa

destroy: ## 7. tofu destroy (asks first; AUTO_APPROVE=1 skips the question)
	scripts/cluster/cluster.sh destroy

dev: build ## start Kafka, FerretDB and the three services; print their URLs (DEV_DETACH=1 returns once ready)
	scripts/dev/dev.sh

dev-stop: ## stop what make dev started
	scripts/dev/dev.sh stop

clean: ## remove build output and local server state (keeps downloaded caches)
	rm -rf dist coverage .local
