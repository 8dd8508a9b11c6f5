# The two commands a newcomer needs (see README):
#   make run    replay the seed data set through the embedded system and serve the API + dashboard
#   make test   the whole test suite (lint, types, unit, integration with a real Kafka broker, e2e)
.PHONY: run test setup system-deps bench

# `npm install` (not `npm ci`): this npm records only this platform's optional native packages (chdb, swc) in
# the lock file, which `npm ci` then refuses; `install` keeps the locked versions and adds the platform's binaries.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
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
