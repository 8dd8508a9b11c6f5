import { signWebhook, verifyWebhookSignature } from './webhook.signature';

describe('webhook signatures', () => {
  const now = 1_700_000_000_000;

  it('verifies a signature it produced and rejects a tampered body, wrong secret or stale timestamp', () => {
    const body = '{"events":[]}';
    const sig = signWebhook('s3cret', now, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', now, body, sig, { now })).toBe(true);
    expect(verifyWebhookSignature('s3cret', now, body + ' ', sig, { now })).toBe(false);
    expect(verifyWebhookSignature('other', now, body, sig, { now })).toBe(false);
    expect(verifyWebhookSignature('s3cret', now, body, sig, { now: now + 10 * 60_000 })).toBe(false);
  });

  it('matches a known HMAC-SHA256 vector', () => {
    // HMAC-SHA256(key="key", "1.x") computed independently: printf '1.x' | openssl dgst -sha256 -hmac key
    expect(signWebhook('key', 1, 'x')).toBe('sha256=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec');
  });
});
