# Set-up and entry points. `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck bench install clean postgresql softhsm chromium

$(BIN)/did-gov: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/did-gov

# The evm ledger's contract and local node: pinned npm packages, compiled and hash-checked.
contracts/node_modules/.package-lock.json: contracts/package.json contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund
	touch $@

# The compiled contract is package data (did_gov/ledger/_contracts/, committed so any checkout builds
# a complete wheel); compiling again must reproduce it byte for byte, or `make install` fails.
contracts/node_modules/.compiled: contracts/node_modules/.package-lock.json contracts/AnchorRegistry.sol contracts/compile.mjs contracts/AnchorRegistry.sha256 did_gov/ledger/_contracts/AnchorRegistry.json
	cd contracts && node compile.mjs --check
	touch $@

# PostgreSQL for the postgresql backends' tests (did_gov.testing.postgres starts its own
# server): Debian's package, installed only when running as root and no server is found.
postgresql:
	@if command -v pg_config >/dev/null 2>&1 && [ -x "$$(pg_config --bindir)/initdb" ] \
	   || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	else echo "PostgreSQL is missing: install Debian's postgresql package (the tests need it)" >&2; fi

# SoftHSM2, the PKCS#11 token the HSM tests sign in: from Debian's packages when root and absent.
softhsm:
	@if command -v softhsm2-util >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2; \
	else echo "softhsm2 is missing: install it (Debian: apt-get install softhsm2) for the HSM tests"; fi

# Chromium for the kiosk's browser tests (Playwright drives the system binary; it cannot
# download its own browser here), and a CJK font for the Chinese page's screenshots:
# Debian's packages when root and absent.
chromium:
	@if command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/wqy ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; \
	else echo "chromium is missing: install it (Debian: apt-get install chromium) for the kiosk's browser tests"; fi

install: $(BIN)/did-gov contracts/node_modules/.compiled postgresql softhsm chromium

demo: install
	$(BIN)/python examples/demo.py --evm
	$(BIN)/python examples/housing_benefit.py
	$(BIN)/python examples/kiosk_demo.py

lint: install
	$(BIN)/ruff check did_gov tests examples bench conformance
	$(BIN)/ruff format --check did_gov tests examples bench conformance

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q

# The reference JavaScript stack the benchmark times beside did_gov (pinned, lockfile-checked).
bench/js/node_modules/.package-lock.json: bench/js/package.json bench/js/package-lock.json
	cd bench/js && npm ci --no-audit --no-fund
	touch $@

bench: install bench/js/node_modules/.package-lock.json
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis contracts/node_modules bench/js/node_modules
