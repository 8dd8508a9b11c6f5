/**
 * Cleaning policies: which raw invoice lines and which customers the features are computed from. Raw events are
 * never modified; a policy is applied when states and features are computed, so several policies can coexist.
 *
 * Row rules (applied to every line before it is folded into the per-customer-day states):
 *   excludedStockCodes / excludedStockCodePrefixes, minUnitPrice, excludedCountries, excludedCustomers, and for
 *   `missingCustomers: 'drop'` the lines without a customer id.
 * Customer rules (applied when features are read): a customer needs at least one purchase; optionally customers
 * who returned more items than they bought are dropped; lines without a customer id become one synthetic customer
 * per invoice (`missingCustomers: 'synthesize'`), numbered `syntheticCustomerIdBase + n` in order of first
 * appearance (event time, then source line) over ALL lines without a customer id, before any row rule.
 */
export type MissingCustomerRule = 'drop' | 'synthesize';

export interface CleaningPolicy {
  name: string;
  description: string;
  excludedStockCodes: readonly string[];
  excludedStockCodePrefixes: readonly string[];
  /** Lines with unit_price below this are dropped; null keeps every price. */
  minUnitPrice: number | null;
  excludedCountries: readonly string[];
  excludedCustomers: readonly string[];
  missingCustomers: MissingCustomerRule;
  syntheticCustomerIdBase: number;
  dropCustomersReturningMoreThanBought: boolean;
}

const SEED_NON_PRODUCT_CODES = ['POST', 'D', 'DOT', 'M', 'S', 'AMAZONFEE', 'm', 'DCGSSBOY', 'DCGSSGIRL', 'PADS', 'B', 'CRUK'];

export const POLICY_PRESETS = {
  /** Reproduces the public seed project's committed features (test/fixtures/reference-features-seed-ian.csv). */
  'seed-ian': {
    name: 'seed-ian',
    description:
      "Seed project rules: synthetic customer per invoice without customer id (19000+), drop non-product stock codes, unit price >= 0.04, drop 'European Community'/'Unspecified', drop customer 16446",
    excludedStockCodes: SEED_NON_PRODUCT_CODES,
    excludedStockCodePrefixes: [],
    minUnitPrice: 0.04,
    excludedCountries: ['European Community', 'Unspecified'],
    excludedCustomers: ['16446'],
    missingCustomers: 'synthesize',
    syntheticCustomerIdBase: 19000,
    dropCustomersReturningMoreThanBought: false,
  },
  /** Known customers only, every non-product code (incl. BANK CHARGES, DCGSS*), no customer returning more than bought. */
  strict: {
    name: 'strict',
    description:
      'Known customers only; drop non-product stock codes (seed list, BANK CHARGES, DCGSS*), unit price >= 0.04, unknown countries, customers returning more than they bought',
    excludedStockCodes: [...SEED_NON_PRODUCT_CODES, 'BANK CHARGES', 'C2', 'gift_0001_10', 'gift_0001_20', 'gift_0001_30', 'gift_0001_40', 'gift_0001_50'],
    excludedStockCodePrefixes: ['DCGSS'],
    minUnitPrice: 0.04,
    excludedCountries: ['European Community', 'Unspecified'],
    excludedCustomers: [],
    missingCustomers: 'drop',
    syntheticCustomerIdBase: 19000,
    dropCustomersReturningMoreThanBought: true,
  },
  /** No cleaning at all: every line counts; lines without customer id become synthetic customers. */
  raw: {
    name: 'raw',
    description: 'No row cleaning; synthetic customer per invoice without customer id',
    excludedStockCodes: [],
    excludedStockCodePrefixes: [],
    minUnitPrice: null,
    excludedCountries: [],
    excludedCustomers: [],
    missingCustomers: 'synthesize',
    syntheticCustomerIdBase: 19000,
    dropCustomersReturningMoreThanBought: false,
  },
} as const satisfies Record<string, CleaningPolicy>;

export type PolicyPresetName = keyof typeof POLICY_PRESETS;
export const POLICY_PRESET_NAMES = Object.keys(POLICY_PRESETS) as [PolicyPresetName, ...PolicyPresetName[]];

export function isPolicyPresetName(name: string): name is PolicyPresetName {
  return Object.prototype.hasOwnProperty.call(POLICY_PRESETS, name);
}

/** A preset by name; throws naming the known presets otherwise. */
export function policyPreset(name: string): CleaningPolicy {
  if (!isPolicyPresetName(name)) throw new Error(`unknown feature policy "${name}" (known: ${POLICY_PRESET_NAMES.join(', ')})`);
  return POLICY_PRESETS[name];
}

/** A custom policy derived from a preset (e.g. seed-ian with a different minimum price). */
export function definePolicy(base: CleaningPolicy, overrides: Partial<CleaningPolicy> & { name: string }): CleaningPolicy {
  const policy = { ...base, ...overrides };
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(policy.name)) throw new Error(`invalid policy name "${policy.name}"`);
  return policy;
}

/**
 * The key states are stored under: name plus a fingerprint of the definition, so changing a policy's rules
 * never mixes states computed under the old rules with the new ones (missing states are rebuilt from raw).
 */
export function policyStateKey(policy: CleaningPolicy): string {
  const canonical = JSON.stringify([
    [...policy.excludedStockCodes].sort(),
    [...policy.excludedStockCodePrefixes].sort(),
    policy.minUnitPrice,
    [...policy.excludedCountries].sort(),
    [...policy.excludedCustomers].sort(),
    policy.missingCustomers,
  ]);
  return `${policy.name}@${fnv1a32(canonical).toString(16).padStart(8, '0')}`;
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
