import { Injectable, Logger } from '@nestjs/common';
import { chTime } from '@insiders/storage';
import { ClustererRepository } from '../clusterer.repository';
import { ApplyModelUseCase, APPLIED_VERSION_KEY } from './apply-model.use-case';

/**
 * Start-up repair after a crash: refits left `fitting` are marked `failed`; if a crash came between activating a
 * model and retiring its predecessor, older active rows are retired; if it came before the active model's
 * memberships were applied, the apply is finished.
 */
@Injectable()
export class RecoverUseCase {
  private readonly logger = new Logger(RecoverUseCase.name);

  constructor(
    private readonly repository: ClustererRepository,
    private readonly apply: ApplyModelUseCase,
  ) {}

  async execute(): Promise<{ interrupted: number[]; retired: number[]; reapplied: number | null }> {
    const models = await this.repository.models();
    const interrupted: number[] = [];
    const retired: number[] = [];
    let clock = Date.now();
    const stamp = (): string => chTime((clock = Math.max(clock + 1, Date.now())));
    for (const m of models.filter((x) => x.status === 'fitting')) {
      await this.repository.writeModel({ ...m, status: 'failed', updated_at: stamp(), error: 'interrupted: the clusterer stopped during this refit' });
      interrupted.push(m.version);
    }
    const active = models.filter((x) => x.status === 'active');
    for (const m of active.slice(0, -1)) {
      await this.repository.writeModel({ ...m, status: 'retired', updated_at: stamp() });
      retired.push(m.version);
    }
    let reapplied: number | null = null;
    const current = active[active.length - 1];
    if (current) {
      const applied = Number((await this.repository.getState(APPLIED_VERSION_KEY)) ?? 0);
      if (applied !== current.version) {
        await this.apply.execute(current.version, new Date(`${current.data_cutoff.replace(' ', 'T')}Z`).toISOString());
        reapplied = current.version;
      }
    }
    if (interrupted.length || retired.length || reapplied) this.logger.warn(`recovered: interrupted ${interrupted.join(',') || '-'}, retired ${retired.join(',') || '-'}, re-applied ${reapplied ?? '-'}`);
    return { interrupted, retired, reapplied };
  }
}
