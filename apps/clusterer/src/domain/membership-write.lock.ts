import { Injectable } from '@nestjs/common';

/**
 * Serialises the writers of memberships in one process: an incremental pass and the switch + apply phase of a refit
 * never interleave (a pass never diffs against half-applied memberships, and a refit's feed-cursor rewind is never
 * overwritten by a pass that read the cursor before it).
 */
@Injectable()
export class MembershipWriteLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
