import { Injectable, NotFoundException } from '@nestjs/common';
import { ModelsRepository, type ModelVersion } from './models.repository';

@Injectable()
export class ModelsService {
  constructor(private readonly models: ModelsRepository) {}

  async list(limit: number, offset: number): Promise<{ total: number; limit: number; offset: number; items: ModelVersion[] }> {
    const page = await this.models.list(limit, offset);
    return { ...page, limit, offset };
  }

  async active(): Promise<ModelVersion> {
    const model = await this.models.active();
    if (!model) throw new NotFoundException('no active model yet');
    return model;
  }

  async get(version: number): Promise<ModelVersion> {
    const model = await this.models.get(version);
    if (!model) throw new NotFoundException(`model version ${version} not found`);
    return model;
  }
}
