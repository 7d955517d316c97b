# The two entry points are `make demo` and `make test`; every other target is
# a step they take. Each step is idempotent and cheap when already done.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ENV := source tools/env.sh &&

.PHONY: help deps toolchain prepare build typecheck test test-unit demo bench clean-state

help:
	@echo "make demo   run the main job against the embedded lab"
	@echo "make test   run every test (unit, engine, lab, end to end)"
	@echo "make bench  measure zfs-fleet beside Ansible and a per-command baseline (long; docs/bench.md)"

# npm ci only when the lock file changed since the last install.
node_modules/.install-stamp: package.json package-lock.json
	@echo "[deps] npm ci (Node.js 22 comes from the npm package 'node')"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.install-stamp

toolchain: deps
	@mkdir -p .pulumi
	@tools/setup-pulumi.sh > .pulumi/bin-dir.new && mv .pulumi/bin-dir.new .pulumi/bin-dir
	@$(ENV) echo "[toolchain] pulumi $$(pulumi version), node $$(node --version), from $$(dirname $$(command -v pulumi))"

# The dynamic-provider host loads the provider by package name, compiled
# (see provider/shim.ts); the program itself runs the TypeScript sources.
build: deps
	@$(ENV) tsc -p provider/tsconfig.json

typecheck: deps
	@$(ENV) tsc --noEmit -p .

test-unit: deps
	@$(ENV) vitest run --project unit

# The two slow steps of a first run, side by side: the Pulumi CLI build (Go,
# about 7 min cold) and the lab's VM image (about 11 min cold); both cached.
prepare: deps
	@$(MAKE) --no-print-directory -j2 toolchain lab-image

# The lab's image and boot overlap the typecheck, the unit tests and the CLI build (tools/test.sh).
test: deps
	@$(ENV) tools/test.sh

demo: prepare build
	@$(ENV) tools/demo.sh

clean-state:
	rm -rf .pulumi/state .pulumi/home

-include lab.mk
-include team.mk
-include mutation.mk

# The benchmark (docs/bench.md): long (Ansible takes about a second per
# dataset under emulation), so never part of `make test`. BENCH_N="100 300"
# picks the sizes.
bench: prepare build
	@command -v ansible-playbook >/dev/null || apt-get install -y --no-install-recommends ansible
	@command -v gnuplot >/dev/null || apt-get install -y --no-install-recommends gnuplot-nox
	@$(ENV) ZFSFLEET_BENCH=1 vitest run --project bench $${BENCH_ONLY:+-t "$$BENCH_ONLY"}
	@$(ENV) node bench/report.ts
