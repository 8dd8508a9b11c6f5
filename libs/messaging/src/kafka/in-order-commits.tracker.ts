/**
 * Which offsets a pipelined consumer may commit, per partition, when several batches of one partition are being
 * handled at the same time (KafkaBus with `batchesInFlight` > 1). Pure bookkeeping: no Kafka, no timers.
 *
 * The rule is the at-least-once contract: the offset after batch k is committed only when the handlers of batch k
 * and of every earlier batch of its partition have succeeded. Handlers may finish in any order; the commit offset
 * advances over the longest prefix of succeeded batches. A batch whose handler gave up (`fail`) blocks its
 * partition's commits for good: nothing at or after it is committed, so it and everything after it are delivered
 * again from the committed offset (to this or another consumer).
 *
 * A partition's batches form a chain: each batch starts where the previous one ended. A batch that does not
 * continue the chain (the first one, a refetch after a rebalance or a seek) needs a new chain (`restart`), which
 * the caller starts only once every handler of the partition has settled, so handlers of one partition never run
 * out of offset order across chains. A rebalance (`newEpoch`) retires every chain: batches of retired chains may
 * still finish but commit nothing more; the group's committed offsets, not this consumer's view, say where the
 * partition continues.
 */

type BatchState = 'running' | 'succeeded' | 'failed';

/** A partition's run of consecutive batches (see above). */
interface Chain {
  readonly epoch: number;
  /** The offset the chain's next batch must start at. */
  next: bigint;
  /** Batches not committed yet, in offset order: running, or finished behind one that has not succeeded. */
  readonly pending: BatchTicket[];
  running: number;
}

/** One handed-over batch; give it back to `succeed` or `fail` exactly once. */
export interface BatchTicket {
  readonly partition: number;
  /** The offset after the batch's last one: what committing the batch means. */
  readonly end: bigint;
  /** The epoch (rebalance count) its chain started in. */
  readonly epoch: number;
  /** Bookkeeping of the tracker; not for callers. */
  readonly chain: Chain;
  state: BatchState;
}

export class InOrderCommits {
  private epochNumber = 0;
  private readonly chains = new Map<number, Chain>();

  /** Increases with every `newEpoch` (rebalance). */
  get epoch(): number {
    return this.epochNumber;
  }

  /** The group rebalanced: chains started before commit nothing more and every partition needs a new chain. */
  newEpoch(): void {
    this.epochNumber++;
  }

  /** Whether a batch fetched from `fromOffset` continues the partition's chain (same epoch, next offset). */
  continues(partition: number, fromOffset: string): boolean {
    const chain = this.chains.get(partition);
    return chain !== undefined && chain.epoch === this.epochNumber && chain.next === BigInt(fromOffset);
  }

  /** Handlers of the partition that have not settled yet (succeeded or failed). */
  running(partition: number): number {
    return this.chains.get(partition)?.running ?? 0;
  }

  /** Batches of the partition's chain that are not committed yet (running, or finished behind an unfinished one). */
  uncommitted(partition: number): number {
    return this.chains.get(partition)?.pending.length ?? 0;
  }

  /** Starts a new chain for the partition at `fromOffset`; only when none of its handlers is running. */
  restart(partition: number, fromOffset: string): void {
    if (this.running(partition) > 0) throw new Error(`partition ${partition} still has running handlers: a new chain would commit past them`);
    this.chains.set(partition, { epoch: this.epochNumber, next: BigInt(fromOffset), pending: [], running: 0 });
  }

  /** Records a batch handed to the handler: fetched from `fromOffset`, ending at `lastOffset` (inclusive). */
  add(partition: number, fromOffset: string, lastOffset: string): BatchTicket {
    const chain = this.chains.get(partition);
    if (!chain || !this.continues(partition, fromOffset)) {
      throw new Error(`batch from offset ${fromOffset} does not continue partition ${partition}'s chain (expected ${chain?.next}); restart it first`);
    }
    const end = BigInt(lastOffset) + 1n;
    if (end <= chain.next) throw new Error(`batch of partition ${partition} ends at ${lastOffset}, before its start ${fromOffset}`);
    const ticket: BatchTicket = { partition, end, epoch: chain.epoch, chain, state: 'running' };
    chain.pending.push(ticket);
    chain.next = end;
    chain.running++;
    return ticket;
  }

  /**
   * The batch's handler resolved. Returns the offset to commit now (the end of the longest prefix of succeeded
   * batches), or undefined when nothing new is committable (an earlier batch is unfinished or failed, or the
   * chain was retired by a rebalance).
   */
  succeed(ticket: BatchTicket): string | undefined {
    const chain = this.settle(ticket, 'succeeded');
    let committable: bigint | undefined;
    while (chain.pending[0]?.state === 'succeeded') committable = chain.pending.shift()!.end;
    return committable !== undefined && chain.epoch === this.epochNumber ? committable.toString() : undefined;
  }

  /** The batch's handler gave up: its partition's chain commits nothing at or after it any more. */
  fail(ticket: BatchTicket): void {
    this.settle(ticket, 'failed');
  }

  /** Whether the batch's chain is still the current one (no rebalance since it was handed over). */
  isCurrent(ticket: BatchTicket): boolean {
    return ticket.epoch === this.epochNumber;
  }

  private settle(ticket: BatchTicket, state: BatchState): Chain {
    if (ticket.state !== 'running') throw new Error(`batch of partition ${ticket.partition} up to offset ${ticket.end - 1n} was already settled`);
    ticket.state = state;
    ticket.chain.running--;
    return ticket.chain;
  }
}
