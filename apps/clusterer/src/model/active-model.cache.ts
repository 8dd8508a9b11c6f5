import { Injectable } from '@nestjs/common';
import { ClustererRepository, type ModelRow } from '../clusterer.repository';
import type { ModelBundle } from './model-bundle';
import { loadSegmentationModel, type SegmentationModelHandle } from './segmentation-model.adapter';

export interface LoadedModel {
  row: ModelRow;
  bundle: ModelBundle;
  handle: SegmentationModelHandle;
}

/** How long the registry's answer is trusted before it is asked again (refits in this process update it at once). */
const REGISTRY_TTL_MS = 5_000;

/** The active model, deserialised once per version. */
@Injectable()
export class ActiveModelCache {
  private loaded: LoadedModel | null = null;
  private checkedAt = 0;

  constructor(private readonly repository: ClustererRepository) {}

  /** The active model (reloaded when the registry's active version changed), or null when none is active. */
  async get(): Promise<LoadedModel | null> {
    if (this.loaded && Date.now() - this.checkedAt < REGISTRY_TTL_MS) return this.loaded;
    const row = await this.repository.activeModel();
    this.checkedAt = Date.now();
    if (!row) return null;
    if (this.loaded?.row.version === row.version) return this.loaded;
    const artifact = await this.repository.loadArtifact(row.version);
    if (!artifact) throw new Error(`model ${row.version} is active but has no artifact`);
    this.loaded = this.fromArtifact(row, artifact);
    return this.loaded;
  }

  /** Installs a model the caller just built (saves re-reading the artifact). */
  fromArtifact(row: ModelRow, artifact: string): LoadedModel {
    const bundle = JSON.parse(artifact) as ModelBundle;
    if (bundle.format !== 'insiders-clusterer/1') throw new Error(`model ${row.version}: unknown artifact format ${String(bundle.format)}`);
    return { row, bundle, handle: loadSegmentationModel(bundle.model) };
  }

  set(model: LoadedModel): void {
    this.loaded = model;
    this.checkedAt = Date.now();
  }
}
