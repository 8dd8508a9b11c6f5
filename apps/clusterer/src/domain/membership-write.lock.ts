import { Injectable } from '@nestjs/common';

/**
 * Serialises the writers of memberships in one process: an incremental pass and the switch + apply phase of a refit
 * never interleave (a pass never diffs against half-applied memberships, and a refit's feed-cursor rewind is never
 * overwritten by a pass that read the cursor before it).
 *
 * A holder may leave a write running after it releases the lock (`inBackground`: an incremental pass stores its
 * result while the next pass already reads). Background writes run one at a time in the order queued; every later
 * holder waits for them before it starts, except one that asks not to (`pipelined`: the next incremental pass, which
 * reads the not-yet-stored memberships from memory instead).
 */
@Injectable()
export class MembershipWriteLock {
  private tail: Promise<void> = Promise.resolve();
  private background: Promise<void> = Promise.resolve();
  private broken: unknown = null;
  private pending = 0;

  async run<T>(work: () => Promise<T>, options: { pipelined?: boolean } = {}): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      if (!options.pipelined && (this.pending > 0 || this.broken !== null)) await this.settled();
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Queues `write` after the background writes queued before it. A write that fails stops the queue: the writes
   * after it are not run (their promises reject), so none of them lands in front of a missing one, and every later
   * holder of the lock fails (a restart repeats the lost writes from storage). Writers retry transient errors
   * themselves; this is for giving up (shutdown).
   */
  inBackground(write: () => Promise<void>): Promise<void> {
    this.pending++;
    const run = this.background.then(async () => {
      try {
        if (this.broken !== null) throw new Error('an earlier background write failed', { cause: this.broken });
        await write();
      } catch (error) {
        this.broken ??= error;
        throw error;
      } finally {
        this.pending--;
      }
    });
    this.background = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every background write queued so far is done; rejects if one of them failed. */
  async settled(): Promise<void> {
    await this.background;
    if (this.broken !== null) throw new Error('a background membership write failed; restart to repeat it from storage', { cause: this.broken });
  }
}
