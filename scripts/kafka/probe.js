// Readiness probe used by scripts/kafka.sh: exits 0 once the broker at argv[2] answers a metadata request
// (describeCluster) and lists at least one live broker, 1 otherwise. Plain CommonJS so it runs without a build.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const broker = process.argv[2];
  const kafka = new Kafka({
    clientId: 'insiders-kafka-probe',
    brokers: [broker],
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no live brokers');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  () => process.exit(1),
);
