# The Social Media Friendly Mark. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py

# What WeasyPrint and the browser tests need from Debian, nginx (the deployment's test), and Java
# for the Nu HTML Checker (and npm, which installs it and the credential verifier, whose Node runs
# the verifier, unless a Node.js with npm is there already).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-liberation2 \
	fonts-dejavu-core chromium poppler-utils libnss3-tools nginx openssl default-jre-headless
# What the tests run with Node: the Nu HTML Checker (vnu.jar), from tests/package-lock.json, and
# the independent verifier of the Open Badges 3.0 credentials, from tests/verifier/package-lock.json.
TEST_TOOLS := tests/node_modules/.installed tests/verifier/node_modules/.installed

.PHONY: help run test lint audit format check-migrations system-packages assets clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

run: $(VENV)/.installed ## Set up from nothing and serve the demo on http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: system-packages $(VENV)/.installed-dev $(TEST_TOOLS) ## Set up from nothing and run every test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

audit: $(VENV)/.installed-dev ## bandit on the app's code; pip-audit of constraints.txt (asks PyPI)
	$(BIN)/bandit -q -r marks app.py --severity-level medium
	$(BIN)/python .ci/pip_audit_locked.py constraints.txt

format: $(VENV)/.installed-dev ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: $(VENV)/.installed ## Fail if the models and the migrations differ (on a scratch SQLite database)
	@scratch=$$(mktemp -d); \
	DATABASE_URL=sqlite:///$$scratch/check.sqlite3 $(BIN)/flask db upgrade && \
	DATABASE_URL=sqlite:///$$scratch/check.sqlite3 $(BIN)/flask db check; \
	status=$$?; rm -rf $$scratch; exit $$status

system-packages: ## Install the Debian packages WeasyPrint, Chromium and the checker need (as root)
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q "install ok installed" || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages (run as root, or: sudo apt-get install $$missing)"; exit 1; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $@

# --ignore-scripts: vnu-jar's postinstall would download a Java of its own; Debian's runs it (and
# nothing the verifier uses needs an install script).
$(TEST_TOOLS): %/node_modules/.installed: %/package-lock.json
	cd $* && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

assets: ## Rebuild the vendored GOV.UK Frontend assets in static/ (needs npm)
	bash static/src/build.sh

clean: ## Remove the virtual environment and the development database
	rm -rf $(VENV) instance
