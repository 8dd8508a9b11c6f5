import { Inject, Injectable } from '@nestjs/common';
import { segmentChangeKey, type SegmentChangeEvent } from '@insiders/events';
import { EVENT_BUS, topicsFor, type EventBus } from '@insiders/messaging';
import { CLUSTERER_CONFIG } from './clusterer.tokens';
import type { ClustererConfig } from './clusterer.config';

const PUBLISH_CHUNK = 5_000;

/** The only place the clusterer talks to the bus: segment-change events, keyed by customer, JSON. */
@Injectable()
export class SegmentChangePublisher {
  readonly topic: string;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(CLUSTERER_CONFIG) config: ClustererConfig,
  ) {
    this.topic = topicsFor(config.TOPIC_PREFIX).segmentChanges;
  }

  async ensureTopic(): Promise<void> {
    await this.bus.ensureTopics([{ topic: this.topic, partitions: 3 }]);
  }

  /** Resolves once every event is acknowledged by the bus. */
  async publish(events: readonly SegmentChangeEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
      await this.bus.publish(
        this.topic,
        events.slice(i, i + PUBLISH_CHUNK).map((e) => ({
          key: segmentChangeKey(e),
          value: JSON.stringify(e),
          headers: { schema: e.schema, reason: e.reason },
        })),
      );
    }
  }
}
