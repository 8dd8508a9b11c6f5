export default async function globalTeardown(): Promise<void> {
  // filled in by the Kafka infrastructure work
}
