// Integration and e2e tests need a real Kafka broker. The kafka helper (scripts/kafka.sh) provides it;
// KAFKA_BROKERS set in the environment points the tests at an existing broker instead.
export default async function globalSetup(): Promise<void> {
  // filled in by the Kafka infrastructure work
}
