import { Injectable } from '@nestjs/common';
import type { CustomerFeatures } from '@insiders/features-core';
import {
  DEFAULT_INSIDERS_RULE,
  explainCustomer,
  parseInsidersRule,
  factsFromFeatures,
  type Explanation,
  type InsidersRule,
  type ProfileFact,
  type SegmentProfile as CoreProfile,
} from '@insiders/segments';
import type { ModelVersion } from '../models/models.repository';
import type { SegmentProfile } from '../segments/segments.repository';
import type { PopulationStats } from './features.repository';


/** A stored segment profile (means only) in the shape @insiders/segments explains against. */
export function coreProfileOf(p: SegmentProfile, population: PopulationStats): CoreProfile {
  const mean: Partial<Record<ProfileFact, number>> = {
    revenue: p.meanRevenue,
    recencyDays: p.meanRecency,
    frequency: p.meanFrequency,
    returns: p.meanReturns,
    invoices: p.meanInvoices,
    items: p.meanItems,
    products: p.meanProducts,
    avgTicket: p.meanTicket,
  };
  return {
    size: p.size,
    share: p.share,
    revenueShare: p.revenueShare,
    meanRevenue: p.meanRevenue,
    medianRevenue: p.medianRevenue,
    meanRecency: p.meanRecency,
    medianRecency: p.meanRecency,
    meanFrequency: p.meanFrequency,
    meanReturns: p.meanReturns,
    meanInvoices: p.meanInvoices,
    meanItems: p.meanItems,
    meanProducts: p.meanProducts,
    meanTicket: p.meanTicket,
    mean,
    std: population.std as Partial<Record<ProfileFact, number>>,
  };
}

function populationProfile(population: PopulationStats): CoreProfile {
  const m = population.mean as Partial<Record<ProfileFact, number>>;
  return {
    size: population.customers,
    share: 1,
    revenueShare: 1,
    meanRevenue: m.revenue ?? 0,
    medianRevenue: m.revenue ?? 0,
    meanRecency: m.recencyDays ?? 0,
    medianRecency: m.recencyDays ?? 0,
    meanFrequency: m.frequency ?? 0,
    meanReturns: m.returns ?? 0,
    meanInvoices: m.invoices ?? 0,
    meanItems: m.items ?? 0,
    meanProducts: m.products ?? 0,
    meanTicket: m.avgTicket ?? 0,
    mean: m,
    std: population.std as Partial<Record<ProfileFact, number>>,
  };
}

/** The Insiders rule the model was fitted with (its params), else the documented default. */
export function ruleOf(model: ModelVersion | null): InsidersRule {
  const params = (model?.params ?? {}) as Record<string, unknown>;
  const selection = (model?.insiders ?? {}) as Record<string, unknown> | null;
  const candidate = selection?.rule ?? params.insidersRule ?? params.insiders;
  if (candidate && typeof candidate === 'object') {
    try {
      return parseInsidersRule(JSON.stringify(candidate));
    } catch {
      return DEFAULT_INSIDERS_RULE;
    }
  }
  return DEFAULT_INSIDERS_RULE;
}

/**
 * Why a customer is (or is not) an Insider, with the clusterer's explanation logic (@insiders/segments
 * `explainCustomer`) over what the API can read: the customer's features, the stored segment profiles of their
 * model, the population statistics and the model's Insiders rule. Nearest neighbours live in the model artifact,
 * not in the tables, so they are not part of the API's explanation.
 */
@Injectable()
export class ExplanationService {
  explain(input: {
    features: CustomerFeatures;
    segmentId: number;
    isInsider: boolean;
    profiles: SegmentProfile[];
    population: PopulationStats;
    model: ModelVersion | null;
    previousSegmentId: number | null;
  }): Explanation | null {
    const own = input.profiles.find((p) => p.segmentId === input.segmentId);
    if (!own) return null;
    const ref = (p: SegmentProfile) => ({ id: p.segmentId, name: p.name, profile: coreProfileOf(p, input.population) });
    const previous = input.profiles.find((p) => p.segmentId === input.previousSegmentId);
    return explainCustomer({
      customer: factsFromFeatures(input.features),
      segment: { ...ref(own), isInsiders: own.isInsiders },
      insiders: input.profiles.filter((p) => p.isInsiders).map(ref),
      population: populationProfile(input.population),
      rule: ruleOf(input.model),
      isInsider: input.isInsider,
      previous: previous && previous.segmentId !== own.segmentId ? { segment: ref(previous) } : undefined,
    });
  }
}
