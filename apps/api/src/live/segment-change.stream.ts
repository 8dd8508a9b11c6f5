import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { parseSegmentChangeEvent, type SegmentChangeEvent } from '@insiders/events';
import { EVENT_BUS, topicsFor, type EventBus, type Subscription } from '@insiders/messaging';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';

/**
 * The segment-change topic as an in-process stream for this API instance (SSE clients, cache invalidation).
 * Its consumer group is unique per instance and starts at the end of the topic: every instance sees every live
 * change, nothing is replayed at start-up. Malformed events are logged and skipped (they cannot be shown).
 */
@Injectable()
export class SegmentChangeStream implements OnModuleInit, OnModuleDestroy {
  readonly changes = new Subject<SegmentChangeEvent>();
  private readonly logger = new Logger('SegmentChangeStream');
  private subscription?: Subscription;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Optional() @Inject(EVENT_BUS) private readonly bus?: EventBus | null,
  ) {}

  get available(): boolean {
    return !!this.bus;
  }

  async onModuleInit(): Promise<void> {
    if (!this.bus) {
      this.logger.warn('no event bus bound: live segment changes are unavailable');
      return;
    }
    // the clusterer may not have created the topic yet (it publishes the first change later)
    await this.bus.ensureTopics([{ topic: topicsFor(this.config.TOPIC_PREFIX).segmentChanges }]);
    this.subscription = await this.bus.subscribe(
      {
        topic: topicsFor(this.config.TOPIC_PREFIX).segmentChanges,
        groupId: `${this.config.API_GROUP_PREFIX}-live-${randomUUID().slice(0, 8)}`,
        fromBeginning: false,
      },
      async (batch) => {
        for (const message of batch.messages) {
          let event: SegmentChangeEvent;
          try {
            event = parseSegmentChangeEvent(JSON.parse(message.value.toString('utf8')));
          } catch (error) {
            this.logger.warn(`skipping segment-change at offset ${message.offset}: ${(error as Error).message}`);
            continue;
          }
          this.changes.next(event);
        }
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
    this.changes.complete();
  }
}
