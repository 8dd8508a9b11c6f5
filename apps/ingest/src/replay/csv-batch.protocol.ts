import type { EncodedCsvBatch } from './csv-batch.encoder';

/** Messages of the replay's CSV worker thread to its consumer. */
export type WorkerReply = { type: 'batch'; batch: EncodedCsvBatch } | { type: 'end' } | { type: 'error'; name: string; message: string };

/** Encoded batches (64 KiB of CSV each) the worker may run ahead of the consumer: about two publish chunks, so it keeps working while the consumer waits for acknowledgements. */
export const PREFETCH_BATCHES = 8;

/** The buffers of a batch, moved to the consumer instead of copied. */
export function transferablesOf(batch: EncodedCsvBatch): ArrayBuffer[] {
  const views: ArrayBufferView[] = [batch.events.values, batch.events.ends, batch.eventLines, batch.deadLetters.values, batch.deadLetters.ends, batch.deadLetterLines];
  if (batch.eventTimes) views.push(batch.eventTimes);
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))].filter((b) => b.byteLength > 0);
}
