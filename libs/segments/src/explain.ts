import { customerGuards, type GuardCheck, type InsidersRule } from './insiders';
import { PROFILE_FACTS, type CustomerFacts, type ProfileFact, type SegmentProfile } from './profile';

/**
 * Why a customer is (or is not) an Insider:
 *  - `features`: each fact against their segment's mean, the Insiders' mean and the population (z-score against the
 *    population's standard deviation), largest deviations first;
 *  - `guards`: the Insider eligibility guards with required and actual values;
 *  - `neighbours`: the fitted customers nearest in the model's leaf space, whose vote decided the assignment;
 *  - `movedBy`: after a change of segment, the facts that pull towards the new segment and away from the old one
 *    (|x − μ_old| − |x − μ_new|, in population standard deviations; with the previous facts, the change in value).
 */
export interface SegmentRefWithProfile {
  id: number;
  name: string;
  profile: SegmentProfile;
}

export interface ExplainInput {
  customer: CustomerFacts;
  segment: SegmentRefWithProfile & { isInsiders: boolean };
  insiders: readonly SegmentRefWithProfile[];
  population: SegmentProfile;
  rule: InsidersRule;
  isInsider: boolean;
  neighbours?: readonly { customerId: string; segmentId: number; distance: number }[];
  previous?: { segment: SegmentRefWithProfile; facts?: CustomerFacts };
}

export interface FactComparison {
  fact: ProfileFact;
  value: number;
  segmentMean: number | null;
  insidersMean: number | null;
  populationMean: number | null;
  /** (value − population mean) / population std. */
  z: number;
}

export interface Explanation {
  customerId: string;
  segmentId: number;
  segmentName: string;
  insider: boolean;
  summary: string;
  guards: GuardCheck[];
  features: FactComparison[];
  neighbours: { votes: { segmentId: number; share: number }[]; nearest: { customerId: string; segmentId: number; distance: number }[] };
  movedBy: { fact: ProfileFact; before: number | null; after: number; pull: number }[];
}

function insidersMeanOf(insiders: readonly SegmentRefWithProfile[], fact: ProfileFact): number | null {
  let sum = 0;
  let n = 0;
  for (const s of insiders) {
    const m = s.profile.mean[fact];
    if (m === undefined) continue;
    sum += m * s.profile.size;
    n += s.profile.size;
  }
  return n ? sum / n : null;
}

export function explainCustomer(input: ExplainInput): Explanation {
  const { customer, segment, population } = input;
  const sd = (f: ProfileFact): number => population.std[f] || 1;
  const features: FactComparison[] = [];
  for (const f of PROFILE_FACTS) {
    const value = customer[f];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const pm = population.mean[f];
    features.push({
      fact: f,
      value,
      segmentMean: segment.profile.mean[f] ?? null,
      insidersMean: insidersMeanOf(input.insiders, f),
      populationMean: pm ?? null,
      z: pm === undefined ? 0 : (value - pm) / sd(f),
    });
  }
  features.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));

  const guards = customerGuards(customer, input.rule);
  const nearest = [...(input.neighbours ?? [])].sort((a, b) => a.distance - b.distance);
  const voteCount = new Map<number, number>();
  for (const n of nearest) voteCount.set(n.segmentId, (voteCount.get(n.segmentId) ?? 0) + 1);
  const votes = [...voteCount]
    .map(([segmentId, c]) => ({ segmentId, share: c / nearest.length }))
    .sort((a, b) => b.share - a.share || a.segmentId - b.segmentId);

  const movedBy: Explanation['movedBy'] = [];
  if (input.previous && input.previous.segment.id !== segment.id) {
    const old = input.previous.segment.profile;
    for (const f of PROFILE_FACTS) {
      const x = customer[f];
      const mo = old.mean[f];
      const mn = segment.profile.mean[f];
      if (typeof x !== 'number' || mo === undefined || mn === undefined) continue;
      const pull = (Math.abs(x - mo) - Math.abs(x - mn)) / sd(f);
      if (pull <= 0) continue;
      const before = input.previous.facts?.[f];
      movedBy.push({ fact: f, before: typeof before === 'number' ? before : null, after: x, pull });
    }
    movedBy.sort((a, b) => b.pull - a.pull);
  }

  let summary: string;
  const failed = guards.filter((g) => !g.passed);
  if (input.isInsider) {
    summary = `Insider: member of ${segment.name} (an Insiders segment) and passes every eligibility guard.`;
  } else if (segment.isInsiders) {
    summary = `Not an Insider: member of ${segment.name} (an Insiders segment) but fails ${failed
      .map((g) => `${g.guard} (required ${g.required}, actual ${round(g.actual)})`)
      .join(', ')}.`;
  } else if (input.insiders.length === 0) {
    summary = `Not an Insider: member of ${segment.name}; the current model has no Insiders segment.`;
  } else {
    const gaps = features
      .filter((c) => c.insidersMean !== null)
      .map((c) => ({ c, gap: (c.value - c.insidersMean!) / sd(c.fact) }))
      .sort((a, b) => Math.abs(b.gap) - Math.abs(a.gap))
      .slice(0, 3)
      .map(({ c }) => `${c.fact} ${round(c.value)} vs Insiders mean ${round(c.insidersMean!)}`);
    summary = `Not an Insider: member of ${segment.name}, not an Insiders segment; largest gaps: ${gaps.join('; ')}.`;
  }
  return {
    customerId: customer.customerId,
    segmentId: segment.id,
    segmentName: segment.name,
    insider: input.isInsider,
    summary,
    guards,
    features,
    neighbours: { votes, nearest },
    movedBy,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
