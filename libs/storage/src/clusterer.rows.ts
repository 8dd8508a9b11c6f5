/**
 * Row shapes of the clusterer's tables (migrations 0300 + 0310), as `JSONEachRow` returns them. The clusterer writes
 * them and the API reads them; both type their queries with these.
 */
export type ModelStatus = 'fitting' | 'active' | 'retired' | 'rejected' | 'failed';
export type ModelTrigger = 'schedule' | 'changed-customers' | 'drift' | 'manual' | 'initial';
export type MembershipReason = 'refit' | 'incremental' | 'backfill';

export interface ModelRow {
  version: number;
  status: ModelStatus;
  created_at: string;
  updated_at: string;
  trigger: ModelTrigger;
  seed: number;
  params: string;
  data_cutoff: string;
  customers: number;
  k: number;
  silhouette: number;
  silhouette_curve: string;
  sizes: string;
  timings: string;
  ari_previous: number | null;
  lineage: string;
  error: string;
  rfm_agreement: number | null;
  insiders: string;
}

export interface SegmentRow {
  model_version: number;
  segment_id: number;
  name: string;
  is_insiders: number;
  size: number;
  share: number;
  revenue_share: number;
  mean_revenue: number;
  median_revenue: number;
  mean_recency: number;
  mean_frequency: number;
  mean_returns: number;
  mean_invoices: number;
  mean_items: number;
  mean_products: number;
  mean_ticket: number;
  origin: string;
  parents: number[];
  clusters: number[];
}

/** One membership change (`membership_history`). */
export interface HistoryRow {
  customer_id: string;
  at: string;
  recorded_at: string;
  from_segment: number | null;
  to_segment: number | null;
  from_insider: number;
  to_insider: number;
  model_version: number;
  reason: MembershipReason;
}
