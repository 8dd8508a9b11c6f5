# The two commands a newcomer needs (see README):
#   make run    replay the seed data set through the embedded system and serve the API + dashboard
#   make test   the whole test suite (lint, types, unit, integration with a real Kafka broker, e2e)
.PHONY: run test setup system-deps bench

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: node_modules/.installed

system-deps:
	bash scripts/system-deps.sh

run: setup
	npm start

test: setup system-deps
	npm test

bench: setup
	npm run bench
