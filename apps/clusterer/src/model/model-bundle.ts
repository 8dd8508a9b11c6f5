import type { FeatureBaseline, InsidersRule, SegmentProfile } from '@insiders/segments';
import type { FeatureSet } from './feature-matrix';

/**
 * What the clusterer stores per model version in `model_artifacts`: the engine's serialised model plus everything
 * needed to assign, name and explain without re-reading the training data.
 */
export interface ModelBundle {
  format: 'insiders-clusterer/1';
  version: number;
  featureSet: FeatureSet;
  /** Engine artifact (segmentation-model.adapter). */
  engine: string;
  model: string;
  clusterToSegment: number[];
  segments: { id: number; name: string; isInsiders: boolean; centroid: number[]; profile: SegmentProfile }[];
  population: SegmentProfile;
  insidersRule: InsidersRule;
  /** Training customers in fit order (neighbour indices refer to them) and their segment ids (base64 Int32). */
  trainingCustomerIds: string[];
  trainingSegments: string;
  baselines: FeatureBaseline[];
  cutoffDay: string;
}

export function encodeInt32(a: Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeInt32(s: string): Int32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Int32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
