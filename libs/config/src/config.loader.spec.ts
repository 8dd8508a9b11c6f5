import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config.loader';

describe('loadConfig', () => {
  const schema = z.object({ PORT: env.int(3000, { min: 1, max: 65535 }), DEBUG: env.bool(false), MODE: env.oneOf(['a', 'b'] as const, 'a') });

  it('applies defaults for unset variables', () => {
    expect(loadConfig(schema, {})).toEqual({ PORT: 3000, DEBUG: false, MODE: 'a' });
  });

  it('coerces set variables', () => {
    expect(loadConfig(schema, { PORT: '8080', DEBUG: 'yes', MODE: 'b' })).toEqual({ PORT: 8080, DEBUG: true, MODE: 'b' });
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: 'eighty', MODE: 'c' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT: expected an integer, got "eighty"');
    expect(message).toContain('MODE: expected one of a, b, got "c"');
  });

  it('enforces bounds', () => {
    expect(() => loadConfig(schema, { PORT: '70000' })).toThrow('PORT: must be <= 65535');
  });
});
