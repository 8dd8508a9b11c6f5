import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  REFIT_TRIGGER,
  REPLAY_TRIGGER,
  type RefitTrigger,
  type ReplayTrigger,
  type TriggerResult,
} from '@insiders/api-contracts';
import { NotBound } from '../common/http-errors';

/** Admin operations delegated to the ports the composition root binds (503 when a port is not bound). */
@Injectable()
export class AdminService {
  private readonly logger = new Logger('AdminService');

  constructor(
    @Optional() @Inject(REFIT_TRIGGER) private readonly refitTrigger?: RefitTrigger,
    @Optional() @Inject(REPLAY_TRIGGER) private readonly replayTrigger?: ReplayTrigger,
  ) {}

  async refit(reason: string, requestedBy: string): Promise<TriggerResult> {
    if (!this.refitTrigger) throw new NotBound('refit trigger');
    this.logger.log(`refit requested by ${requestedBy}: ${reason}`);
    return this.refitTrigger.requestRefit({ reason, requestedBy });
  }

  async replay(file: string | undefined, limit: number | undefined, requestedBy: string): Promise<TriggerResult> {
    if (!this.replayTrigger) throw new NotBound('replay trigger');
    this.logger.log(`replay requested by ${requestedBy}: ${file ?? '(default file)'}${limit ? ` limit ${limit}` : ''}`);
    return this.replayTrigger.requestReplay({ file, limit, requestedBy });
  }
}
