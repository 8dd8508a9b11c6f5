/** Customer keys whose features were just written (their rows committed to ClickHouse), and when. */
export interface FeatureChange {
  customerKeys: readonly string[];
  /** The change time recorded in the changed-customers feed (ms since the epoch). */
  atMs: number;
}

export type FeatureChangeListener = (change: FeatureChange) => void;

/**
 * In-process push side of the changed-customers feed: the features repository announces every committed
 * `markChanged`, so a clusterer in the same process (embedded default, or one process on Kafka) re-assigns the
 * customers at once instead of at its next poll. Only a hint: the feed table stays the source of truth (a listener
 * reads the changes from it, and a clusterer in another process simply polls), so a missed notification costs
 * latency, never a change. Listeners run synchronously and must be cheap (e.g. wake a loop); one that throws does
 * not stop the others or the writer.
 */
export class FeatureChangeNotifier {
  private readonly listeners = new Set<FeatureChangeListener>();

  /** Registers a listener; call the returned function to remove it. */
  subscribe(listener: FeatureChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(change: FeatureChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a hint only: the feed table still holds the change
      }
    }
  }
}
