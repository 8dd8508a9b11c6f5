import { formatP, formatValue } from './report.builder';
import type { Report } from './report.types';

const money = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 0 });
const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a');
const num = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const esc = (s: string) => s.replace(/\|/g, '\\|');

function previousMonth(monthStart: string): string {
  const d = new Date(`${monthStart}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => esc(String(c))).join(' | ')} |`),
  ].join('\n');
}

/** The report as a Markdown document (GET /v1/report.md): the seeds' questions, answered in order. */
export function renderReportMarkdown(r: Report): string {
  const out: string[] = [];
  out.push('# Insiders — business report', '');
  out.push(
    r.model
      ? `Generated ${r.generatedAt} from model v${r.model.version} (k = ${r.model.k}, silhouette ${num(r.model.silhouette, 3)}, data up to ${r.model.dataCutoff}), feature policy \`${r.featurePolicy}\`.`
      : `Generated ${r.generatedAt}. **No active model yet**: segments and Insiders appear after the first refit.`,
    '',
  );

  out.push('## 1. Who is eligible for Insiders, and how many', '');
  out.push(
    `**${r.eligibility.insiders.toLocaleString('en-US')} customers** are Insiders: ${pct(r.eligibility.share)} of the ${r.population.assigned.toLocaleString('en-US')} assigned customers` +
      ` (${r.population.customers.toLocaleString('en-US')} customers in total${r.population.unassigned ? `, ${r.population.unassigned} not yet assigned` : ''}).`,
  );
  if (r.eligibility.segments.length) {
    out.push(
      '',
      `Insiders segments: ${r.eligibility.segments.map((s) => `${s.name} (${s.insiders} of ${s.members} members)`).join(', ')}.` +
        (r.eligibility.guardedOut ? ` ${r.eligibility.guardedOut} members of these segments fail a customer guard and are not Insiders.` : ''),
    );
  }
  out.push('');

  out.push('## 2. Their characteristics', '');
  out.push(
    table(
      ['segment', 'customers', 'share', 'revenue share', 'mean revenue', 'median revenue', 'mean recency (d)', 'mean frequency', 'mean invoices', 'mean items', 'mean returns'],
      r.profile.map((p) => [
        p.isInsiders ? `**${p.name}**${/insiders/i.test(p.name) ? '' : ' (Insiders)'}` : p.name,
        p.customers,
        pct(p.share),
        pct(p.revenueShare),
        money(p.meanRevenue),
        money(p.medianRevenue),
        num(p.meanRecencyDays),
        num(p.meanFrequency, 3),
        num(p.meanInvoices),
        num(p.meanItems, 0),
        num(p.meanReturns),
      ]),
    ),
    '',
  );
  out.push(
    table(
      ['feature', 'Insiders mean', 'Insiders median', 'others mean', 'others median'],
      r.insidersVsRest.map((c) => [
        c.label,
        formatValue(c.feature, c.insidersMean),
        formatValue(c.feature, c.insidersMedian),
        formatValue(c.feature, c.restMean),
        formatValue(c.feature, c.restMedian),
      ]),
    ),
    '',
  );

  out.push('## 3. Share of revenue they bring', '');
  out.push(
    `Insiders bring **${pct(r.revenueShare.share)} of gross revenue** (${money(r.revenueShare.insidersRevenue)} of ${money(r.revenueShare.totalRevenue)}) while being ${pct(r.revenueShare.customerShare)} of customers: ` +
      `${num(r.revenueShare.concentration)}× their weight in customers.`,
    '',
  );

  out.push('## 4. Conditions to enter and to leave', '');
  out.push('**The rule** (documented and configurable):', '', ...r.conditions.rule.map((w) => `- ${w}`), '');
  if (r.conditions.enter.conditions.length) {
    out.push(
      `**To enter**, in feature thresholds (learned from today's assignment; ${pct(r.conditions.enter.precision)} of customers meeting them are Insiders, and they cover ${pct(r.conditions.enter.recall)} of Insiders):`,
      '',
      ...r.conditions.enter.conditions.map((c) => `- ${c.text}`),
      '',
    );
  }
  out.push('**To leave**, any of:', '', ...r.conditions.leave.map((w) => `- ${w}`), '');
  const o = r.conditions.observed;
  out.push(
    o.first
      ? `Observed in the membership history: ${o.entered} entries and ${o.exited} exits ${o.first.slice(0, 10) === o.last!.slice(0, 10) ? `on ${o.first.slice(0, 10)}` : `between ${o.first.slice(0, 10)} and ${o.last!.slice(0, 10)}`}.`
      : 'No entries or exits recorded in the membership history yet.',
    '',
  );

  out.push('## 5. Do Insiders really differ from the others?', '');
  if (r.evidence.length) {
    out.push(
      table(
        ['feature', 'Insiders median', 'others median', 'Mann–Whitney p', 'P(Insider > other)', `median diff. ${Math.round(r.evidence[0]!.confidence * 100)}% CI (bootstrap)`, 'Welch t', 'Welch p', 'mean diff. CI (Welch)'],
        r.evidence.map((e) => [
          e.label,
          formatValue(e.feature, e.insiders.median),
          formatValue(e.feature, e.rest.median),
          formatP(e.mannWhitney.pValue),
          num(e.mannWhitney.probabilityOfSuperiority, 2),
          `${formatValue(e.feature, e.bootstrapMedian.ci[0])} … ${formatValue(e.feature, e.bootstrapMedian.ci[1])}`,
          num(e.welch.t, 1),
          formatP(e.welch.pValue),
          `${formatValue(e.feature, e.welch.ci[0])} … ${formatValue(e.feature, e.welch.ci[1])}`,
        ]),
      ),
      '',
      ...r.evidence.map((e) => `- ${e.conclusion}`),
      '',
      'Revenue and counts are heavy-tailed, so the rank test (Mann–Whitney) and the bootstrap interval of the median difference are the primary evidence; Welch\'s t-test on means is shown for completeness.',
      '',
    );
  } else out.push('Not enough Insiders and other customers to compare yet.', '');

  out.push('## 6. Expected Insiders revenue in the coming months', '');
  const f = r.forecast;
  if (!f.available) out.push(`No forecast: ${f.reason}.`, '');
  else {
    out.push(
      `Method: ${f.method}.` +
        (f.model ? ` Used: **${f.model}**${f.params ? ` (α = ${f.params.alpha}, β = ${f.params.beta}, φ = ${f.params.phi})` : ''}` : '') +
        (f.selection ? ` — mean absolute one-step error over ${f.selection.origins} rolling origins: ${Object.entries(f.selection.scores).map(([m, v]) => `${m} ${money(v)}`).join(', ')}.` : '.'),
      '',
    );
    out.push(
      table(
        ['month', 'forecast', `${Math.round(f.level * 100)}% interval`, 'actual to date'],
        f.points.map((p) => [p.month.slice(0, 7), money(p.mean), `${money(p.lower)} … ${money(p.upper)}`, p.actualToDate === undefined ? '' : money(p.actualToDate)]),
      ),
      '',
    );
    if (f.backtest) {
      const b = f.backtest;
      out.push(
        `**Validation on the last ${b.holdout} complete months, never seen by the fit${f.procedure === 'auto' ? ' nor by the selection' : ''}**: one month ahead (rolling origin) MAPE ${num(b.oneStep.mape)}% ` +
          `(naive last-month forecast: ${num(b.oneStep.naiveMape)}%), interval coverage ${pct(b.oneStep.coverage, 0)}; ` +
          `1–${b.holdout} months ahead from one origin MAPE ${num(b.multiStep.mape)}% (naive ${num(b.multiStep.naiveMape)}%), coverage ${pct(b.multiStep.coverage, 0)} (nominal ${pct(f.level, 0)}).`,
        '',
        table(
          ['validation', 'month', 'h', 'method', 'actual', 'forecast', 'interval', 'naive', 'covered'],
          [
            ...b.oneStep.cases.map((c) => ['rolling, 1 month ahead', c] as const),
            ...b.multiStep.cases.map((c) => [`1–${b.holdout} months ahead from end of ${previousMonth(b.multiStep.cases[0]!.month)}`, c] as const),
          ].map(([kind, c]) => [
            kind,
            c.month.slice(0, 7),
            c.h,
            c.method,
            money(c.actual),
            money(c.forecast),
            `${money(c.lower)} … ${money(c.upper)}`,
            money(c.naive),
            c.covered ? 'yes' : 'no',
          ]),
        ),
        '',
      );
    }
    if (f.comparison) {
      out.push(
        'Every method on the same held-out months (for comparison; the procedure above is fixed by configuration, not picked from this table):',
        '',
        table(
          ['method', 'MAPE 1 month ahead', 'MAPE 1–3 months', 'coverage 1 month', 'coverage 1–3 months'],
          f.comparison.map((c) => [c.method + (c.method === f.procedure ? ' (used)' : ''), `${num(c.oneStepMape)}%`, `${num(c.multiStepMape)}%`, pct(c.oneStepCoverage, 0), pct(c.multiStepCoverage, 0)]),
        ),
        '',
      );
    }
  }
  if (f.history.length) {
    out.push(
      '<details><summary>Monthly revenue history</summary>',
      '',
      table(
        ['month', 'Insiders (today\'s cohort)', 'all customers', 'complete'],
        f.history.map((h) => [h.month.slice(0, 7), money(h.insidersRevenue), money(h.totalRevenue), h.complete ? 'yes' : 'partial']),
      ),
      '',
      '</details>',
      '',
    );
  }
  out.push(...f.caveats.map((c) => `- ${c}`), '');

  out.push('## 7. ML segments vs the RFM baseline', '');
  if (!r.rfm.available) out.push('No RFM baseline scores stored yet.', '');
  else {
    out.push(
      `Agreement over ${r.rfm.n.toLocaleString('en-US')} customers: adjusted Rand index **${num(r.rfm.adjustedRandIndex, 3)}**, normalized mutual information **${num(r.rfm.normalizedMutualInformation, 3)}** ` +
        '(1 = the same partition, 0 = unrelated).',
      '',
      table(['ML segment \\ RFM', ...r.rfm.rfmSegments], r.rfm.mlSegments.map((name, i) => [name, ...r.rfm.counts[i]!])),
      '',
      `Insiders by RFM segment: ${r.rfm.insidersByRfm.map((x) => `${x.segment} ${x.insiders} (${pct(x.share, 0)} of the segment)`).join('; ')}.`,
      '',
    );
  }
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
