# berth: `make build` and `make test` are all a fresh clone needs; they install what is missing.
# Installs are incremental: a stamp file per toolchain, redone only when its lock file changes,
# so a warm `make build` spends its time generating templates.
SHELL := /bin/bash
.DEFAULT_GOAL := build
.SUFFIXES:

NODE      := node
TSX       := $(NODE) --import tsx
PYTHON    ?= python3
VENV      := .venv
STAMPS    := .stamps
TESTS     := $(sort $(wildcard test/*.test.ts))
ENV       ?=
ENV_FLAGS := $(foreach e,$(ENV),--env $(e))
OUT_DIR   ?= output
# The CLI compiled with the estate into plain JavaScript (scripts/bundle.ts): a build starts in
# about a quarter of the time tsx needs. Rebuilt only when a source changes. Node reads the file
# NODE_EXTRA_CA_CERTS names at start-up (50 ms where it is set); berth opens no TLS connection
# (the AWS CLI that `diff --stack-name` runs has its own CA settings), so it goes without.
BERTH     := env -u NODE_EXTRA_CA_CERTS $(NODE) dist/berth.cjs
SOURCES   := $(shell find src templates scripts -name "*.ts")
# The helpers scripts/deploy.sh runs, compiled beside the CLI (dist/tools.cjs): it runs a helper's
# compiled form while its sources are unchanged, else the source. Before the first build, tsx.
TOOL      := $(if $(wildcard dist/tools.cjs),$(NODE) dist/tools.cjs,$(TSX))

$(STAMPS):
	@mkdir -p $@

$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	npm ci --omit=peer --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/venv: requirements.txt | $(STAMPS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

.PHONY: help install build check graph diff bench test typecheck lint lint-stop types permissions schema regions mutation clean deploy publish require-env docs new-service new-environment local local-stop

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: $(STAMPS)/npm $(STAMPS)/venv ## Install Node packages (npm ci) and the pinned Python tools into .venv

# Type-checked (incremental tsc, scripts/typecheck.ts), then compiled, only when a source changed.
dist/berth.cjs: $(STAMPS)/npm tsconfig.json tsconfig.build.json $(SOURCES)
	@$(TSX) scripts/bundle.ts --typecheck

build: dist/berth.cjs ## Generate every environment's templates into output/<env>/ (ENV=dev for one, OUT_DIR=dir elsewhere)
	@$(BERTH) build $(ENV_FLAGS) --out $(OUT_DIR)

# The CI gate for a team's own estate (docs/testing.md): it checks properties that hold for any
# estate, never the example's content, so it stays green when you replace the example services and
# environments with yours. berth's own suite is `make test`.
ESTATE_TESTS := test/output.test.ts
check: install dist/berth.cjs ## The CI gate for your estate: output/ current (and type-checked), the four lint gates clean, the estate's property tests
	@$(BERTH) build --check
	@$(TOOL) scripts/lint/main.ts output $(ARGS)
	@$(TSX) scripts/test-run.ts $(ESTATE_TESTS)

diff: dist/berth.cjs ## Show what a fresh build changes against output/ as committed in git, resource by resource (ENV=dev for one, OUT_DIR=dir elsewhere, ARGS='--against main' or ARGS=--working)
	@$(BERTH) diff $(ENV_FLAGS) --out $(OUT_DIR) $(ARGS)

graph: dist/berth.cjs ## Draw the overview diagram, output/<env>/architecture.svg (ENV=dev for one, OUT_DIR=dir elsewhere, ARGS=--detailed for every resource)
	@$(BERTH) graph $(ENV_FLAGS) --out $(OUT_DIR) $(ARGS)

$(STAMPS)/bench-npm: bench/package.json bench/package-lock.json | $(STAMPS)
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	@touch $@

bench: install dist/berth.cjs $(STAMPS)/bench-npm ## Benchmark berth against the AWS CDK (installs bench/ on demand; BENCH_RUNS=1 for a smoke run)
	@$(TSX) scripts/bench.ts

typecheck: $(STAMPS)/npm ## Type-check src/, templates/, scripts/ and test/
	npx tsc -p .

lint: install ## Run the five gates over output/ (cfn-lint -c I, checkov, Control Tower, policy, cfripper); ENV=dev for one, OUT_DIR=dir elsewhere, ARGS=--no-cache to ignore the last run
	@set -e; for dir in $(if $(ENV),$(addprefix $(OUT_DIR)/,$(ENV)),$(OUT_DIR)); do $(TOOL) scripts/lint/main.ts $$dir $(ARGS); done

lint-stop: install ## Stop the lint gates' warm servers now (each stops by itself after 15 idle minutes; docs/lint-gates.md)
	@$(TOOL) scripts/lint/main.ts --stop-servers

# scripts/test-run.ts: three files at a time, the longest first, one line per file and failures in full
# (scripts/test-summary.mjs), in a temporary folder of its own that must be empty afterwards.
test: install typecheck dist/berth.cjs ## Run every test (one line per file, failures in full); fails when a test leaves a file in the temporary folder
	@$(TSX) scripts/test-run.ts $(TESTS)

# Scaffolds (src/cli/new.ts): the new file is built before it is kept; see `node dist/berth.cjs new --help`.
new-service: dist/berth.cjs ## Scaffold templates/services/NAME.ts and register it (NAME=billing KIND=web|worker|scheduled, FARGATE=1 for Fargate)
	@$(BERTH) new service $(NAME) $(if $(KIND),--kind $(KIND)) $(if $(FARGATE),--fargate)

new-environment: dist/berth.cjs ## Scaffold templates/environments/NAME.json as a copy of FROM's settings (NAME=staging FROM=dev)
	@$(BERTH) new environment $(NAME) $(if $(FROM),--from $(FROM))

# A local AWS endpoint (docs/local.md): the moto server the tests use, seeded, on LOCAL_PORT.
LOCAL_PORT ?= 4566
local: install ## Start a local AWS endpoint (moto, seeded) and print the variables to export (ENV=dev for its Region, LOCAL_PORT=4566, ARGS=--detach to run in the background); Ctrl-C stops it
	@$(TSX) scripts/local.ts $(if $(ENV),--env $(ENV)) --port $(LOCAL_PORT) $(ARGS)

local-stop: ## Stop the local AWS endpoint that a detached `make local` started (its pid in .tmp/local/pid)
	@$(TSX) scripts/local.ts --stop

# ENV is checked before the installs, so a forgotten ENV fails at once.
require-env:
	@test -n "$(ENV)" || { echo 'error: `make $(MAKECMDGOALS)` needs ENV, e.g. `make $(MAKECMDGOALS) ENV=dev` (see scripts/deploy.sh --help).' >&2; exit 2; }

deploy: require-env install ## Deploy ENV's estate with scripts/deploy.sh (ARGS='--template network --preview ...')
	scripts/deploy.sh $(ENV) $(ARGS)

publish: require-env install ## Publish ENV's Service Catalog portfolio (BUCKET=..., PRINCIPAL=arn:aws:iam::...:role/..., SHARE='organization ou-...')
	scripts/deploy.sh $(strip $(ENV) --template service-catalog $(if $(BUCKET),--bucket $(BUCKET)) $(if $(PRINCIPAL),--param Principal1Arn=$(PRINCIPAL)) $(foreach s,$(SHARE),--share-with $(s)) $(ARGS))

docs: $(STAMPS)/npm ## Regenerate the sample outputs in README.md and docs/ from real runs (scripts/gen-docs.ts)
	@$(TSX) scripts/gen-docs.ts

types: $(STAMPS)/npm ## Regenerate src/dsl/resource-types.generated.d.ts from @aws-cdk/aws-service-spec
	$(TSX) scripts/gen-types.ts

permissions: install ## Regenerate templates/stacks/launch-role.generated.ts from AWS's resource provider schemas (pinned in requirements.txt)
	$(TSX) scripts/gen-permissions.ts

schema: $(STAMPS)/npm ## Regenerate templates/settings/settings.schema.json from templates/settings/settings.ts
	$(TSX) scripts/gen-schema.ts

regions: install ## Regenerate the Region tables: names (templates/settings/regions.generated.ts, from the pinned botocore; then the schema) and the resource types each Region lacks (src/dsl/regions.generated.ts, from cfn-lint's per-Region schemas)
	$(TSX) scripts/gen-regions.ts
	$(TSX) scripts/gen-schema.ts
	$(TSX) scripts/gen-region-types.ts

# Not part of `make test`: tens of minutes on 2 cores (docs/testing.md). MUTATION_FILES='src/emit/yaml.ts'
# narrows it; the focused suites run under tsx, with the pinned Python for the YAML round trip.
mutation: install ## Mutation testing (StrykerJS) of the emitter, DSL core and settings checks, and deliberate mistakes in the settings schema
	BERTH_PYTHON=$(abspath $(VENV))/bin/python npx stryker run
	$(TSX) scripts/mutation-score.ts --min 85
	$(TSX) scripts/mutation-schema.ts --min 85

clean: ## Remove installs, stamps and the compiled CLI (not output/)
	rm -rf node_modules $(VENV) $(STAMPS) dist bench/node_modules bench/cdk.out
