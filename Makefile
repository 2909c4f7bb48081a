# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench install clean translations

# Drip's own words to learners (domain/words.py, templates/public): gettext catalogs in drip/translations.
# `make translations` extracts them, merges them into each language's .po and compiles the .mo files,
# which are committed (tests/unit/test_catalogs.py fails while one is stale or a sentence is untranslated).
CATALOGS := drip/translations
KEYWORDS := -k say:2 -k say_n:2,3 -k mark

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m drip.devserver

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --no-location --sort-output --omit-header \
		-o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(CATALOGS) --statistics

clean:
	rm -rf $(VENV) instance
