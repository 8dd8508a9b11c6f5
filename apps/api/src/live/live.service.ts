import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { filter, finalize, interval, map, merge, type Observable } from 'rxjs';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { NotBound } from '../common/http-errors';
import { ApiMetrics } from '../observability/api.metrics';
import { SegmentChangeStream } from './segment-change.stream';

export interface LiveFilter {
  insidersOnly: boolean;
  customerId?: string;
  segmentId?: number;
}

@Injectable()
export class LiveService {
  constructor(
    private readonly changes: SegmentChangeStream,
    private readonly metrics: ApiMetrics,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  stream(f: LiveFilter): Observable<MessageEvent> {
    if (!this.changes.available) throw new NotBound('the live segment-change stream (no event bus)');
    this.metrics.sseClients.inc();
    const events = this.changes.changes.pipe(
      filter((e) => !f.insidersOnly || e.insider !== 'unchanged'),
      filter((e) => f.customerId === undefined || e.customerId === f.customerId),
      filter((e) => f.segmentId === undefined || e.from?.id === f.segmentId || e.to?.id === f.segmentId),
      map((e): MessageEvent => ({ id: e.eventId, type: 'segment-change', data: e })),
    );
    const heartbeats = interval(this.config.SSE_HEARTBEAT_MS).pipe(
      map((): MessageEvent => ({ type: 'heartbeat', data: { at: new Date().toISOString() } })),
    );
    return merge(events, heartbeats).pipe(finalize(() => this.metrics.sseClients.dec()));
  }
}
