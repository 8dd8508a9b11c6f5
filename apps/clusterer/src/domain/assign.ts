import { isInsider } from '@insiders/segments';
import type { ModelBundle } from '../model/model-bundle';
import type { PreparedFeatures } from '../model/feature-matrix';
import type { SegmentationModelHandle } from '../model/segmentation-model.adapter';

export interface Assigned {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  confidence: number;
  mapX: number;
  mapY: number;
}

/** Places customers with an existing model: cluster by the model, segment by the model's naming, Insider by the rule. */
export function assignWithModel(bundle: ModelBundle, handle: SegmentationModelHandle, prepared: PreparedFeatures): Assigned[] {
  const a = handle.assign(prepared.matrix);
  const insidersIds = bundle.segments.filter((s) => s.isInsiders).map((s) => s.id);
  return prepared.customerIds.map((customerId, i) => {
    const segmentId = bundle.clusterToSegment[a.labels[i]!] ?? -1;
    if (segmentId < 0) throw new Error(`model ${bundle.version}: cluster ${a.labels[i]} has no segment`);
    return {
      customerId,
      segmentId,
      isInsider: isInsider(prepared.facts[i]!, segmentId, insidersIds, bundle.insidersRule),
      confidence: a.confidence[i]!,
      mapX: a.map[i * 2]!,
      mapY: a.map[i * 2 + 1]!,
    };
  });
}
