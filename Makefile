.PHONY: demo test check bootstrap lint bench screenshots
demo:        ## set everything up and run the demo at http://127.0.0.1:8000
	scripts/demo.sh
test:        ## set everything up and run the whole suite on SQLite and PostgreSQL
	scripts/test.sh
check:       ## the fast inner loop (< 2 min on 2 cores): lint, format, import rules, types, fast tests in parallel
	scripts/check.sh
bootstrap:   ## install system packages and Python requirements only
	scripts/bootstrap.sh
screenshots: ## the reader's guide screenshots (English, Chinese) from the browser tests into docs/guides/images/
	CMR_SCREENSHOTS=docs/guides/images .venv/bin/python -m pytest tests/browser_tests/test_keyboard_reading.py -q
lint:
	.venv/bin/ruff check .
bench:       ## run the benchmarks (prints figures and ratios against the named peers)
	.venv/bin/python bench/bench_ingest.py
	.venv/bin/python bench/bench_frames.py
	.venv/bin/python bench/bench_viewer.py
	.venv/bin/python bench/bench_autosave.py
	.venv/bin/python bench/bench_agreement.py
	.venv/bin/python bench/bench_export.py
	.venv/bin/python bench/bench_blinding.py
