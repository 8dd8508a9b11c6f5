import { DeadLetterRecord, encodeInvoiceLine, InvoiceLineEvent, invoiceLineKey } from '@insiders/events';
import { EventBus, OutgoingMessage, Topics } from '@insiders/messaging';
import { MessagePacker, PackedMessages, unpackMessages } from './packed-messages';

export interface PublishCounts {
  /** Events acknowledged by the bus on the invoice-lines topic. */
  accepted: number;
  /** Records acknowledged by the bus on the dead-letter topic. */
  deadLettered: number;
}

export interface PublishStreamOptions {
  /** Messages per `bus.publish` call. */
  chunkSize: number;
  /** Publish calls awaiting acknowledgement at once. */
  maxInFlight: number;
  /** Called after each acknowledged chunk (counters, progress). */
  onAcknowledged?: (kind: 'accepted' | 'deadLettered', count: number) => void;
}

/**
 * Buffers events and dead-letter records into chunks and publishes them with at most `maxInFlight` unacknowledged
 * `bus.publish` calls. `add`/`addDeadLetter` are synchronous and cheap; producers call `await ready()` between
 * batches, which waits while the bus is behind (backpressure) and rethrows the first publish failure. `close()`
 * flushes and resolves with what the bus acknowledged. Chunks are issued in order, so per-key order is kept.
 */
export class PublishStream {
  private events: OutgoingMessage[] = [];
  private deadLetters: OutgoingMessage[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private closed = false;
  readonly counts: PublishCounts = { accepted: 0, deadLettered: 0 };

  constructor(
    private readonly bus: EventBus,
    private readonly topics: Pick<Topics, 'invoiceLines' | 'invoiceLinesDeadLetter'>,
    private readonly options: PublishStreamOptions,
  ) {}

  add(event: InvoiceLineEvent): void {
    this.events.push({ key: invoiceLineKey(event), value: encodeInvoiceLine(event) });
    if (this.events.length >= this.options.chunkSize) this.send('accepted');
  }

  addDeadLetter(record: DeadLetterRecord): void {
    this.deadLetters.push({ key: record.source, value: JSON.stringify(record) });
    if (this.deadLetters.length >= this.options.chunkSize) this.send('deadLettered');
  }

  /**
   * Adds already encoded messages `from..to` (events or dead-letter records, e.g. from the replay's worker
   * thread), in order after everything added before.
   */
  addPacked(kind: 'accepted' | 'deadLettered', packed: PackedMessages, from = 0, to = packed.keys.length): void {
    while (from < to) {
      const pending = kind === 'accepted' ? this.events : this.deadLetters;
      const take = Math.min(to - from, this.options.chunkSize - pending.length);
      const messages = unpackMessages(packed, from, from + take);
      if (pending.length === 0) {
        if (kind === 'accepted') this.events = messages;
        else this.deadLetters = messages;
      } else {
        for (const m of messages) pending.push(m);
      }
      from += take;
      if ((kind === 'accepted' ? this.events : this.deadLetters).length >= this.options.chunkSize) this.send(kind);
    }
  }

  /** Resolves when fewer than `maxInFlight` publishes are unacknowledged; rejects if one failed. */
  async ready(): Promise<void> {
    while (this.failure === undefined && this.inFlight.size >= this.options.maxInFlight) {
      await Promise.race(this.inFlight);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Starts publishing what is buffered (partial chunks) without waiting; `ready()`/`close()` wait. */
  flush(): void {
    if (this.events.length > 0) this.send('accepted');
    if (this.deadLetters.length > 0) this.send('deadLettered');
  }

  /** Publishes what is buffered and waits for every acknowledgement. */
  async close(): Promise<PublishCounts> {
    if (!this.closed) {
      this.closed = true;
      this.flush();
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    return { ...this.counts };
  }

  private send(kind: 'accepted' | 'deadLettered'): void {
    if (this.failure !== undefined) return; // already failed: the producer learns it at ready()/close()
    const messages = toBuffers(kind === 'accepted' ? this.events : this.deadLetters);
    if (kind === 'accepted') this.events = [];
    else this.deadLetters = [];
    const topic = kind === 'accepted' ? this.topics.invoiceLines : this.topics.invoiceLinesDeadLetter;
    const done: Promise<void> = this.bus.publish(topic, messages).then(
      () => {
        this.inFlight.delete(done);
        this.counts[kind] += messages.length;
        this.options.onAcknowledged?.(kind, messages.length);
      },
      (error: unknown) => {
        this.inFlight.delete(done);
        this.failure ??= error;
      },
    );
    this.inFlight.add(done);
  }
}

/**
 * Encodes a chunk's string values into one buffer and hands out views of it: one UTF-8 write instead of a small
 * allocation per message, and both buses take Buffers as they are (no per-message conversion). Messages that are
 * Buffers already (`addPacked`) are kept.
 */
function toBuffers(messages: OutgoingMessage[]): OutgoingMessage[] {
  if (messages.some((m) => typeof m.value !== 'string')) return messages;
  const packer = new MessagePacker();
  for (const m of messages) packer.add(m.key, m.value as string);
  return unpackMessages(packer.pack());
}
