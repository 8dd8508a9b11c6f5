#!/usr/bin/env bash
# Debian packages the tests use: chromium (dashboard tests, driven by playwright-core), kcat (an independent
# Kafka client for interop tests), and — when the machine lacks them — a Java 17 runtime and Maven, which
# scripts/kafka.sh uses to fetch and run the Kafka broker from Maven Central.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v java >/dev/null || { echo "java (JDK 17) is required for the Kafka broker" >&2; exit 1; }
command -v mvn >/dev/null || { echo "maven is required to fetch the Kafka broker from Maven Central" >&2; exit 1; }
