import { runKafkaScript } from './global-setup';

// Drops the lease global setup took on the test broker; scripts/kafka.sh stops the broker when no other
// test run holds one. A broker given through KAFKA_BROKERS is never touched.
export default async function globalTeardown(): Promise<void> {
  const lease = process.env.INSIDERS_TEST_KAFKA_LEASE;
  if (!lease) return;
  delete process.env.INSIDERS_TEST_KAFKA_LEASE;
  delete process.env.KAFKA_BROKERS;
  await runKafkaScript(['release', lease]);
}
