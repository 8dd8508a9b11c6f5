import { ConfigError } from '@insiders/config';
import { loadFeaturesConfig } from './features.config';

describe('loadFeaturesConfig', () => {
  it('has defaults for every variable', () => {
    const c = loadFeaturesConfig({});
    expect(c.FEATURE_POLICY).toBe('seed-ian');
    expect(c.FEATURE_POLICIES).toEqual([]);
    expect(c.FEATURES_CONSUME).toBe(true);
  });

  it('stops on a bad value naming the variable', () => {
    expect(() => loadFeaturesConfig({ FEATURE_POLICY: 'nope' })).toThrow(/FEATURE_POLICY/);
    expect(() => loadFeaturesConfig({ FEATURE_POLICIES: 'strict,nope' })).toThrow(ConfigError);
    expect(() => loadFeaturesConfig({ FEATURES_MAX_ABS_QUANTITY: 'x' })).toThrow(/FEATURES_MAX_ABS_QUANTITY/);
    expect(() => loadFeaturesConfig({ FEATURES_MIN_EVENT_TIME: 'someday' })).toThrow(/FEATURES_MIN_EVENT_TIME/);
  });
});
