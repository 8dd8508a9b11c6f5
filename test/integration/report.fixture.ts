import type { ClickHouseClient } from '@clickhouse/client';
import { dayStatesSelectSql, policyPreset } from '@insiders/features-core';

/**
 * Fixture rows for the report and dashboard tests, written through the real migrations' tables: raw invoice lines
 * (folded into feature states with the features library's own SQL, as the features service does), a model registry,
 * segments, memberships (with map coordinates), membership history and RFM scores.
 *
 * 60 customers, Jan 2011 to mid-November 2011 (ten complete months and a partial one):
 *   0–11  "Elite Spenders" (the Insiders segment): buy every month, big baskets, growing; customer 11 has a single
 *         invoice, so the customer guard keeps them out of the Insiders
 *   12–35 "Engaged": buy every other month, small baskets
 *   36–59 "Dormant": bought only in Jan–Mar
 * plus lines the seed-ian policy drops (stock code POST, unit price below 0.04) and returns.
 */
export interface FixtureLine {
  invoiceNo: string;
  stockCode: string;
  quantity: number;
  unitPrice: number;
  time: string; // YYYY-MM-DD hh:mm:ss.sss
  customerId: string;
  country: string;
}

export interface ReportFixture {
  lines: FixtureLine[];
  customers: string[];
  segmentOf: Map<string, number>;
  insider: Map<string, boolean>;
  segmentNames: string[];
  rfm: Map<string, string>;
  modelVersion: number;
  policy: string;
  entered: number;
  exited: number;
}

export const FIXTURE_POLICY = 'seed-ian';
const COUNTRIES = ['United Kingdom', 'Germany', 'France', 'EIRE', 'Spain'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function buildReportFixture(): ReportFixture {
  const rand = rng(20111209);
  const lines: FixtureLine[] = [];
  const customers = Array.from({ length: 60 }, (_, i) => String(13000 + i));
  const segmentOf = new Map<string, number>();
  const insider = new Map<string, boolean>();
  const rfm = new Map<string, string>();
  let invoice = 540000;
  const addInvoice = (customer: number, month: number, day: number, basket: number, unitScale: number) => {
    const inv = String(invoice++);
    const id = customers[customer]!;
    const country = COUNTRIES[customer % COUNTRIES.length]!;
    const time = `2011-${pad(month)}-${pad(day)} ${pad(9 + (customer % 8))}:${pad(customer % 60)}:00.000`;
    for (let k = 0; k < basket; k++) {
      lines.push({
        invoiceNo: inv,
        stockCode: `SKU${(customer * 7 + k * 13) % 97}`,
        quantity: 1 + Math.floor(rand() * 12),
        unitPrice: Math.round((0.5 + rand() * 4) * unitScale * 100) / 100,
        time,
        customerId: id,
        country,
      });
    }
    return inv;
  };
  for (let c = 0; c < 60; c++) {
    const id = customers[c]!;
    if (c < 12) {
      segmentOf.set(id, 0);
      if (c === 11) {
        addInvoice(c, 10, 20, 30, 3);
        insider.set(id, false);
      } else {
        for (let month = 1; month <= 11; month++) {
          const day = month === 11 ? 1 + (c % 14) : 1 + ((c * 3 + month) % 27);
          addInvoice(c, month, c === 0 && month === 1 ? 1 : day, 6 + Math.floor(month / 2) + (c % 3), 2 + month * 0.15);
        }
        insider.set(id, true);
      }
      rfm.set(id, c % 5 === 4 ? 'Loyal' : 'Champions');
    } else if (c < 36) {
      segmentOf.set(id, 1);
      insider.set(id, false);
      for (let month = 1 + (c % 2); month <= 10; month += 2) addInvoice(c, month, 2 + (c % 25), 2 + (c % 3), 1);
      rfm.set(id, c % 6 === 0 ? 'Champions' : 'Loyal');
    } else {
      segmentOf.set(id, 2);
      insider.set(id, false);
      for (let month = 1; month <= 3; month++) addInvoice(c, month, 3 + (c % 20), 1 + (c % 2), 1);
      rfm.set(id, c % 7 === 0 ? 'Loyal' : 'Hibernating');
    }
  }
  // lines the seed-ian policy drops, and returns
  lines.push({ invoiceNo: 'P1', stockCode: 'POST', quantity: 3, unitPrice: 18, time: '2011-05-05 10:00:00.000', customerId: customers[0]!, country: 'Germany' });
  lines.push({ invoiceNo: 'P2', stockCode: 'SKU1', quantity: 100, unitPrice: 0.01, time: '2011-05-06 10:00:00.000', customerId: customers[1]!, country: 'France' });
  lines.push({ invoiceNo: 'C1', stockCode: 'SKU5', quantity: -4, unitPrice: 3.5, time: '2011-06-07 10:00:00.000', customerId: customers[2]!, country: 'EIRE' });
  lines.push({ invoiceNo: 'C2', stockCode: 'SKU9', quantity: -2, unitPrice: 1.25, time: '2011-07-07 10:00:00.000', customerId: customers[20]!, country: 'France' });
  return {
    lines,
    customers,
    segmentOf,
    insider,
    segmentNames: ['Elite Spenders', 'Engaged', 'Dormant'],
    rfm,
    modelVersion: 2,
    policy: FIXTURE_POLICY,
    entered: 11,
    exited: 2,
  };
}

/** Per-customer facts computed here from the fixture's raw lines, independently of the product's SQL. */
export interface Expected {
  /** Every report feature by name, per customer. */
  feature: (customer: string, name: string) => number;
  revenue: Map<string, number>;
  invoices: Map<string, number>;
  frequency: Map<string, number>;
  recency: Map<string, number>;
  monthlyInsiders: Map<string, number>;
}

const day = (t: string) => Math.floor(Date.parse(`${t.slice(0, 10)}T00:00:00Z`) / 86_400_000);

export function expectedFrom(f: ReportFixture): Expected {
  const clean = (l: FixtureLine) => l.stockCode !== 'POST' && l.unitPrice >= 0.04;
  const kept = (l: FixtureLine) => clean(l) && l.quantity > 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const items = new Map<string, number>();
  const lines = new Map<string, number>();
  const returns = new Map<string, number>();
  for (const l of f.lines.filter((x) => clean(x) && x.quantity < 0)) add(returns, l.customerId, -l.quantity);
  const revenue = new Map<string, number>();
  const invoiceSets = new Map<string, Set<string>>();
  const firstDay = new Map<string, number>();
  const lastDay = new Map<string, number>();
  const monthlyInsiders = new Map<string, number>();
  for (const l of f.lines.filter(kept)) {
    const c = l.customerId;
    revenue.set(c, (revenue.get(c) ?? 0) + l.quantity * l.unitPrice);
    add(items, c, l.quantity);
    add(lines, c, 1);
    if (!invoiceSets.has(c)) invoiceSets.set(c, new Set());
    invoiceSets.get(c)!.add(l.invoiceNo);
    firstDay.set(c, Math.min(firstDay.get(c) ?? Infinity, day(l.time)));
    lastDay.set(c, Math.max(lastDay.get(c) ?? -Infinity, day(l.time)));
    if (f.insider.get(c)) {
      const m = `${l.time.slice(0, 7)}-01`;
      monthlyInsiders.set(m, (monthlyInsiders.get(m) ?? 0) + l.quantity * l.unitPrice);
    }
  }
  const reference = Math.max(...lastDay.values());
  const invoices = new Map([...invoiceSets].map(([c, s]) => [c, s.size]));
  const frequency = new Map([...invoices].map(([c, n]) => [c, n / (lastDay.get(c)! - firstDay.get(c)! + 1)]));
  const recency = new Map([...lastDay].map(([c, d]) => [c, reference - d]));
  const feature = (c: string, name: string): number => {
    switch (name) {
      case 'grossRevenue':
        return revenue.get(c)!;
      case 'recencyDays':
        return recency.get(c)!;
      case 'invoices':
        return invoices.get(c)!;
      case 'frequency':
        return frequency.get(c)!;
      case 'items':
        return items.get(c)!;
      case 'products':
        return lines.get(c)!;
      case 'returns':
        return returns.get(c) ?? 0;
      case 'averageTicket':
        return revenue.get(c)! / invoices.get(c)!;
      default:
        throw new Error(`unknown feature ${name}`);
    }
  };
  return { feature, revenue, invoices, frequency, recency, monthlyInsiders };
}

jest.setTimeout(120_000);

async function insert(client: ClickHouseClient, table: string, values: Record<string, unknown>[]): Promise<void> {
  await client.insert({ table, values, format: 'JSONEachRow' });
}

/** Writes the fixture into a migrated database. */
export async function seedReportFixture(client: ClickHouseClient, f: ReportFixture = buildReportFixture()): Promise<ReportFixture> {
  await insert(
    client,
    'invoice_lines',
    f.lines.map((l, i) => ({
      event_id: `fixture:${i + 1}`,
      schema: 'invoice-line/v1',
      invoice_no: l.invoiceNo,
      stock_code: l.stockCode,
      description: null,
      quantity: l.quantity,
      invoice_time: l.time,
      unit_price: l.unitPrice,
      customer_id: l.customerId,
      country: l.country,
      source: 'fixture',
      source_line: i + 1,
      customer_key: l.customerId,
      topic: 'fixture',
      partition: 0,
      offset: i,
      ingested_at: '2011-12-01 00:00:00.000',
      batch_seq: 1,
    })),
  );
  // feature states exactly as the features service builds them
  await client.command({
    query: `INSERT INTO customer_day_states ${dayStatesSelectSql(policyPreset(f.policy))}`,
    clickhouse_settings: { wait_end_of_query: 1 },
  });
  const rule = { minShare: 0.08, maxShare: 0.3, maxSegmentRecencyDays: 90, minSegmentSize: 5, minInvoices: 2, maxRecencyDays: 180, minRevenue: 0 };
  const model = (version: number, status: string) => ({
    version,
    status,
    created_at: `2011-11-1${version} 00:00:00.000`,
    updated_at: `2011-11-1${version} 00:00:00.000`,
    trigger: version === 1 ? 'initial' : 'schedule',
    seed: 7,
    params: JSON.stringify({ k: { min: 3, max: 8 }, policy: { insiders: rule } }),
    data_cutoff: '2011-11-15 23:00:00.000',
    customers: 60,
    k: 3,
    silhouette: version === 1 ? 0.41 : 0.52,
    silhouette_curve: '[]',
    sizes: '{}',
    timings: '{}',
    ari_previous: version === 1 ? null : 0.93,
    lineage: '{}',
    error: '',
  });
  await insert(client, 'models', [model(1, 'retired'), model(2, 'active')]);
  // segment profiles as the clusterer writes them, from the independently computed facts
  const e = expectedFrom(f);
  const totalRevenue = f.customers.reduce((s, c) => s + e.revenue.get(c)!, 0);
  await insert(
    client,
    'segments',
    f.segmentNames.map((name, id) => {
      const members = f.customers.filter((c) => f.segmentOf.get(c) === id);
      const avg = (feature: string) => members.reduce((s, c) => s + e.feature(c, feature), 0) / members.length;
      const revenues = members.map((c) => e.revenue.get(c)!).sort((a, b) => a - b);
      const mid = revenues.length >> 1;
      return {
        model_version: f.modelVersion,
        segment_id: id,
        name,
        is_insiders: id === 0 ? 1 : 0,
        size: members.length,
        share: members.length / f.customers.length,
        revenue_share: members.reduce((s, c) => s + e.revenue.get(c)!, 0) / totalRevenue,
        mean_revenue: avg('grossRevenue'),
        median_revenue: revenues.length % 2 ? revenues[mid]! : (revenues[mid - 1]! + revenues[mid]!) / 2,
        mean_recency: avg('recencyDays'),
        mean_frequency: avg('frequency'),
        mean_returns: avg('returns'),
        mean_invoices: avg('invoices'),
        mean_items: avg('items'),
        mean_products: avg('products'),
        mean_ticket: avg('averageTicket'),
        origin: 'survived',
        parents: [id],
      };
    }),
  );
  const rand = rng(99);
  await insert(
    client,
    'memberships',
    f.customers.map((id) => {
      const s = f.segmentOf.get(id)!;
      const angle = (s * 2 * Math.PI) / 3;
      return {
        customer_id: id,
        segment_id: s,
        is_insider: f.insider.get(id) ? 1 : 0,
        model_version: f.modelVersion,
        confidence: 0.8 + rand() * 0.2,
        map_x: 5 * Math.cos(angle) + rand() * 2,
        map_y: 5 * Math.sin(angle) + rand() * 2,
        reason: 'refit',
        updated_at: '2011-11-12 00:00:00.000',
      };
    }),
  );
  const insiders = f.customers.filter((id) => f.insider.get(id));
  const history: Record<string, unknown>[] = f.customers.map((id) => ({
    customer_id: id,
    at: '2011-06-01 00:00:00.000',
    recorded_at: '2011-11-11 00:00:00.000',
    from_segment: null,
    to_segment: f.segmentOf.get(id),
    from_insider: 0,
    to_insider: f.insider.get(id) ? 1 : 0,
    model_version: 1,
    reason: 'backfill',
  }));
  // two Engaged customers were Insiders for a while: entered in July, exited in September
  for (const [k, id] of [f.customers[12]!, f.customers[13]!].entries()) {
    history.push({ customer_id: id, at: `2011-07-0${k + 1} 00:00:00.000`, recorded_at: '2011-11-11 00:00:00.000', from_segment: 1, to_segment: 0, from_insider: 0, to_insider: 1, model_version: 1, reason: 'backfill' });
    history.push({ customer_id: id, at: `2011-09-0${k + 1} 00:00:00.000`, recorded_at: '2011-11-11 00:00:00.000', from_segment: 0, to_segment: 1, from_insider: 1, to_insider: 0, model_version: 1, reason: 'backfill' });
  }
  await insert(client, 'membership_history', history);
  f.entered = insiders.length + 2;
  f.exited = 2;
  await insert(
    client,
    'rfm_scores',
    f.customers.map((id) => ({ customer_id: id, model_version: f.modelVersion, r: 3, f: 3, m: 3, score: 333, segment: f.rfm.get(id)!, updated_at: '2011-11-12 00:00:00.000' })),
  );
  return f;
}
