#!/usr/bin/env bash
# Every benchmark in turn, each in its own process (they print medians; run on a quiet machine).
# Benchmarks that need Kafka start their own broker through scripts/kafka.sh. Pass names to run a subset:
#   scripts/bench-all.sh ingest ml
set -euo pipefail
cd "$(dirname "$0")/.."
all=(ingest features ml umap-quality clusterer api)
selected=("${@:-${all[@]}}")
for name in "${selected[@]}"; do
  echo "=== bench/$name.ts"
  node -r @swc-node/register "bench/$name.ts"
done
