# iap_credits — developer commands. Every target runs dev/setup.sh first (idempotent).
#   make run                 set up, create the demo database, serve http://localhost:8069
#   make run ARGS='--workers 4'   the same with Odoo's options, e.g. worker processes (server mode)
#   make test                set up, lint, Odoo's sms tests, fresh database, install, pytest-odoo, drop database
#   make lint                the hooks of .pre-commit-config.yaml on every file (OCA's, prettier, ruff, pylint-odoo)
#   make wheel               the installable wheel odoo-addon-iap_credits, built by whool, in dist/
#   make bench               set up, run the benchmarks (figures also in $$BENCH_OUT)
#   make odoo ARGS='...'     Odoo's own command line with this project's configuration; a
#                            sub-command first: make odoo ARGS='shell -d mydb'
#   make test-stock          Odoo's sms and test_mail_sms tests, iap_credits installed on a database using Odoo's IAP
SHELL := /bin/bash
.PHONY: run test lint bench odoo setup test-stock wheel
setup:
	@bash dev/setup.sh
run:
	@bash dev/run.sh $(ARGS)
test:
	@bash dev/test.sh
lint: setup
	@bash dev/lint.sh
bench:
	@bash dev/bench.sh $(ARGS)
odoo: setup
	@bash dev/odoo.sh $(ARGS)
test-stock:
	@bash dev/test-stock.sh
wheel: setup
	@bash dev/wheel.sh
