#!/usr/bin/env bash
# The whole test suite, in order of cost. Integration and e2e tests start a real Kafka broker
# (scripts/kafka.sh) unless KAFKA_BROKERS points at one.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent check
npx jest --selectProjects unit
npx jest --selectProjects integration --runInBand
npx jest --selectProjects e2e --runInBand
