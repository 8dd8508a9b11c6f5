import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Every delivery carries
 *   X-Insiders-Timestamp: <ms since epoch>
 *   X-Insiders-Signature: sha256=<hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
 * Receivers recompute the HMAC over the raw body and reject stale timestamps (replay protection).
 */
export const SIGNATURE_HEADER = 'x-insiders-signature';
export const TIMESTAMP_HEADER = 'x-insiders-timestamp';
export const DELIVERY_HEADER = 'x-insiders-delivery';

export function signWebhook(secret: string, timestamp: number | string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export function verifyWebhookSignature(
  secret: string,
  timestamp: number | string,
  rawBody: string,
  signature: string,
  options: { toleranceMs?: number; now?: number } = {},
): boolean {
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs((options.now ?? Date.now()) - ts) > tolerance) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
