PYTHON ?= python3

.PHONY: test demo lint help bench reliability

help:
	@echo "make test   - Odoo tests of the three addons and pytest suites, per Odoo series (RC_ODOO_SERIES=18,19)"
	@echo "make demo   - demo database with the addons, Odoo with workers and the job runner on 127.0.0.1:8069"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmarks against their floors (retail_bench on 127.0.0.1:8079)"
	@echo "make reliability - end-to-end scenarios that must lose and duplicate nothing"

test:
	$(PYTHON) scripts/run_tests.py

demo:
	$(PYTHON) scripts/odoo_series.py run scripts/demo.py

lint:
	ruff check .

bench:
	$(PYTHON) scripts/odoo_series.py run tests/bench/bench.py

reliability:
	$(PYTHON) scripts/odoo_series.py run tests/reliability/run.py
