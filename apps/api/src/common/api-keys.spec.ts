import { ApiKeyRing, sha256Hex } from './api-keys';

describe('ApiKeyRing', () => {
  it('recognises plain keys (hashed at boot) and configured hashes with their roles', () => {
    const ring = new ApiKeyRing({
      adminKeys: ['admin-plain'],
      adminHashes: [sha256Hex('admin-hashed').toUpperCase()],
      readKeys: ['reader'],
    });
    expect(ring.roleOf('admin-plain')).toBe('admin');
    expect(ring.roleOf('admin-hashed')).toBe('admin');
    expect(ring.roleOf('reader')).toBe('read');
    expect(ring.roleOf('nope')).toBeNull();
    expect(ring.roleOf('')).toBeNull();
    expect(ring.hasAdminKey).toBe(true);
  });

  it('rejects a malformed configured hash naming the variable', () => {
    expect(() => new ApiKeyRing({ adminHashes: ['abc'] })).toThrow('API_KEY_HASHES');
  });

  it('matches sha256 test vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
