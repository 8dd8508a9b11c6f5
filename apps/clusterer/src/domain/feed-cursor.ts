import { Injectable } from '@nestjs/common';
import { ClustererRepository } from '../clusterer.repository';

export const FEED_CURSOR_KEY = 'feed_cursor';
const START = '1970-01-01 00:00:00.000000';

/**
 * Position in the changed-customers feed (DateTime64(6) text) up to which customers were assigned. Stored in
 * `clusterer_state` (survives restarts) and cached here (one read per process). Callers hold the membership write
 * lock, so a refit's rewind and an incremental pass's advance never race.
 */
@Injectable()
export class FeedCursor {
  private cached: string | null = null;

  constructor(private readonly repository: ClustererRepository) {}

  async get(): Promise<string> {
    this.cached ??= (await this.repository.getState(FEED_CURSOR_KEY)) ?? START;
    return this.cached;
  }

  async advance(to: string): Promise<void> {
    await this.repository.setState(FEED_CURSOR_KEY, to);
    this.cached = to;
  }

  /** Moves the cursor back to `head` if it is ahead of it (changes after `head` are assigned again). */
  async rewindTo(head: string): Promise<void> {
    if ((await this.get()) > head) await this.advance(head);
  }
}
