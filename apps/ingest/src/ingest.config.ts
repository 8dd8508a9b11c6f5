import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@insiders/config';

/**
 * The ingest app's environment, parsed once at boot (a bad variable stops start-up naming it).
 * Topics come from `TOPIC_PREFIX` (`<prefix>.invoice-lines.v1`, `<prefix>.invoice-lines.dlq`).
 */
export const ingestConfigShape = {
  ...commonConfigShape,
  PORT: env.int(3001, { min: 0, max: 65535 }),
  HOST: env.string('0.0.0.0'),
  /** Most rows one `POST /v1/invoice-lines` may carry (413 beyond). */
  INGEST_MAX_BATCH_ROWS: env.int(10_000, { min: 1 }),
  /** Largest request body in bytes, JSON or NDJSON (413 beyond). */
  INGEST_MAX_BODY_BYTES: env.int(16 * 1024 * 1024, { min: 1024 }),
  /**
   * Messages per `EventBus.publish` call. Small chunks keep fewer events alive while Kafka acknowledges them (less
   * GC work): 2,048 with 2 in flight measured best in bench/ingest.ts.
   */
  INGEST_PUBLISH_CHUNK: env.int(2_048, { min: 1, max: 1_000_000 }),
  /** Publish calls awaiting their acknowledgement at once; producers wait beyond that (backpressure). */
  INGEST_PUBLISH_IN_FLIGHT: env.int(2, { min: 1, max: 64 }),
  /**
   * Producer compression of the Kafka record batches: none (default, fastest on a loopback/LAN link and on a
   * 2-core machine) or gzip (kafkajs' only built-in codec; about 5× smaller batches for a few CPU-seconds more
   * per million events, see bench/ingest.ts).
   */
  INGEST_KAFKA_COMPRESSION: env.oneOf(['none', 'gzip'] as const, 'none'),
  /** Partitions of the invoice-lines topic when ingest creates it. */
  INVOICE_LINES_PARTITIONS: env.int(6, { min: 1, max: 1_000 }),
  /** Directory the replay trigger (API `POST /v1/admin/replay`) may read data files from. */
  INGEST_DATA_DIR: env.string('data'),
};

export const ingestConfigSchema = z.object(ingestConfigShape);
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export function loadIngestConfig(source: Record<string, string | undefined> = process.env): IngestConfig {
  return loadConfig(ingestConfigSchema, source);
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');
