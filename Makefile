# Latchkey: `make run` starts a dev server with a demo app; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed
FLASK = $(BIN)/flask --app wsgi
CATALOGS = $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED = $(CATALOGS:.po=.mo)
NODE_STAMP = node_modules/.installed
# Every stylesheet a page loads; stylelint (.stylelintrc.json) catches syntax errors
# (an unclosed block) and unknown properties, units and selectors.
STYLESHEETS = static/*.css themes/*/static/*.css
BENCH_STAMP = $(VENV)/.bench-installed

.PHONY: run test lint bench clean messages screenshots lock-bundle

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Page catalogs are kept as .po in git and compiled here (see README, "Languages").
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel -q compile --use-fuzzy -i $< -o $@

# axe-core (loaded into pages by the accessibility tests) and stylelint (npm registry).
$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Lock's passwordless widget: auth0-lock from npm ships CommonJS only, so esbuild (npm)
# bundles it into static/vendor/auth0-lock.min.js. The bundle is committed, so `make run`
# and `pip install .` need no node; after changing the pinned auth0-lock, rebuild it here
# (tests/test_lock_bundle.py fails until the committed file matches a fresh build).
lock-bundle: $(NODE_STAMP)
	node bundles/build-lock.mjs

# After changing page strings: extract them and update every catalog.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 --no-location --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# `make run` makes this checkout a development server: Flask's CLI reads .flaskenv
# (python-dotenv), so every `flask --app wsgi …` command in the README works here as
# written. It holds no secret (the dev key is generated into instance/) and is not
# committed: a production checkout never inherits debug from it.
.flaskenv:
	printf '%s\n' '# Written by `make run`: this checkout is a development server (debug,' \
	  '# dev outbox, generated secret in instance/). Delete it for production.' \
	  'FLASK_APP=wsgi' 'FLASK_DEBUG=1' > $@

run: $(STAMP) $(COMPILED) .flaskenv
	$(FLASK) db upgrade
	$(FLASK) demo setup
	$(FLASK) run --debug --host 127.0.0.1 --port 5000

# The whole suite runs on SQLite, then the tests marked `database` run again on
# PostgreSQL, in databases of their own on $$LATCHKEY_TEST_POSTGRES (default
# postgresql://postgres@127.0.0.1:5432/test). The process tests use PostgreSQL always.
test: $(STAMP) $(COMPILED) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node_modules/.bin/stylelint $(STYLESHEETS)
	$(BIN)/python -m pytest
	LATCHKEY_TEST_DATABASE=postgresql $(BIN)/python -m pytest -m database

# Rewrite docs/screenshots/ (every screen, both themes, phone and desktop, and the main
# screens in Japanese) after a change that moves pixels; look at them, then commit.
screenshots: $(STAMP) $(COMPILED) $(NODE_STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_screenshots.py tests/test_lock_screenshots.py -q

# Locust and the PostgreSQL driver, for the load benchmark.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Speed and memory figures (no pass/fail): full sign-ins through page and token endpoint,
# then the load benchmark under gunicorn on PostgreSQL and Redis (writes docs/benchmarks.md).
bench: $(STAMP) $(COMPILED) $(BENCH_STAMP)
	$(BIN)/python bench/login_flow.py --sign-ins 200
	$(BIN)/python bench/enumeration.py --rounds 300
	$(BIN)/python bench/load.py

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .flaskenv .pytest_cache node_modules $(COMPILED)
