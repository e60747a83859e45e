# iap_credits — developer commands. Every target runs dev/setup.sh first (idempotent).
#   make run                 set up, create the demo database, serve http://localhost:8069
#   make test                set up, fresh database, install, lint, pytest-odoo, drop database
#   make bench               set up, run the benchmarks (figures also in $$BENCH_OUT)
#   make odoo ARGS='...'     Odoo's own command line with this project's configuration
#   make test-stock          Odoo's own sms tests, with iap_credits installed and accounts in Odoo IAP mode
SHELL := /bin/bash
.PHONY: run test lint bench odoo setup test-stock
setup:
	@bash dev/setup.sh
run:
	@bash dev/run.sh
test:
	@bash dev/test.sh
lint: setup
	@bash dev/lint.sh
bench:
	@bash dev/bench.sh $(ARGS)
odoo: setup
	@source .state/env.sh && python "$$ODOO_SRC/odoo-bin" -c "$$ODOO_RC" $(ARGS)
test-stock:
	@bash dev/test-stock.sh
