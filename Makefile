# telecnn: `make demo` and `make test` each do all set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_STAMP := data/fashion-mnist/.verified

.PHONY: venv data demo test bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# FashionMNIST into data/fashion-mnist, checked by SHA-256: an installed copy, the official
# download or Debian's package unpacked without installing it (instant once there)
data: $(DATA_STAMP)

$(DATA_STAMP): | $(STAMP)
	$(BIN)/telecnn fetch-data --dest data/fashion-mnist

demo: venv
	MPLBACKEND=Agg $(BIN)/telecnn detect-events --sim monza --seed 2 --plot demo/events.png --out demo/events.csv
	MPLBACKEND=Agg $(BIN)/telecnn explain event --sim monza --seed 2 --event braking --index 1 --plot demo/why-braking.png
	MPLBACKEND=Agg $(BIN)/telecnn explain filters --plot demo/filters.png --out demo/filters.csv

test: venv data
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

bench: venv
	mkdir -p bench; for f in scripts/bench_*.py; do echo "== $$f"; MPLBACKEND=Agg $(BIN)/python $$f || exit 1; done

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache runs demo
