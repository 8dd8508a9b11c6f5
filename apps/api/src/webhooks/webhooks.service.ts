import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import type { WebhookRegistration } from '@insiders/api-contracts';
import { WebhooksRepository, type DeliveryAttempt, type Webhook } from './webhooks.repository';

export type PublicWebhook = Omit<Webhook, 'secret'>;

function withoutSecret({ secret: _secret, ...rest }: Webhook): PublicWebhook {
  return rest;
}

/** Webhook registrations (admin). The signing secret is returned once, at registration. */
@Injectable()
export class WebhooksService {
  constructor(private readonly webhooks: WebhooksRepository) {}

  async register(r: WebhookRegistration): Promise<PublicWebhook & { secret: string }> {
    const now = Date.now();
    const hook = {
      id: randomUUID(),
      url: r.url,
      secret: r.secret ?? randomBytes(32).toString('base64url'),
      filter: r.filter,
      description: r.description,
      active: true,
    };
    await this.webhooks.save({ ...hook, createdAtMs: now, updatedAtMs: now });
    const created = new Date(now).toISOString();
    return { ...hook, createdAt: created, updatedAt: created };
  }

  async list(): Promise<PublicWebhook[]> {
    return (await this.webhooks.list(false)).map(withoutSecret);
  }

  async deactivate(id: string): Promise<PublicWebhook> {
    const hook = await this.webhooks.get(id);
    if (!hook) throw new NotFoundException(`webhook ${id} not found`);
    const createdAtMs = Date.parse(hook.createdAt ?? new Date().toISOString());
    const updatedAtMs = Math.max(Date.now(), Date.parse(hook.updatedAt ?? '1970-01-01T00:00:00Z') + 1);
    await this.webhooks.save({ ...hook, active: false, createdAtMs, updatedAtMs });
    return withoutSecret({ ...hook, active: false, updatedAt: new Date(updatedAtMs).toISOString() });
  }

  async deliveries(id: string, limit: number, offset: number): Promise<{ total: number; limit: number; offset: number; items: DeliveryAttempt[] }> {
    if (!(await this.webhooks.get(id))) throw new NotFoundException(`webhook ${id} not found`);
    return { ...(await this.webhooks.deliveries(id, limit, offset)), limit, offset };
  }
}
