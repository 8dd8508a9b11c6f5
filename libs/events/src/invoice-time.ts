/**
 * Invoice times: every accepted form is normalised to an ISO-8601 instant in UTC (`2016-11-29T08:26:00.000Z`).
 * Hand-written parsers (no `Date.parse`, whose handling of zone-less strings depends on the machine's time zone and
 * which accepts impossible dates such as 31 February).
 */

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const SEED_DATE = /^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number | null {
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month, day, hour, minute, second, ms);
  // Date.UTC rolls 31 Feb over into March: reject anything that did not round-trip.
  const d = new Date(t);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month) return null;
  return t;
}

/**
 * `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]` or with `T`, optionally followed by `Z` or `±HH[:MM]`.
 * No zone means UTC. Returns epoch milliseconds, or null when the text is not such a date or the date does not exist.
 */
export function parseIsoLikeTime(text: string): number | null {
  const m = ISO_LIKE.exec(text);
  if (!m) return null;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const t = utc(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, ms);
  if (t === null) return null;
  const zone = m[8];
  if (!zone || zone === 'Z' || zone === 'z') return t;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = +digits.slice(0, 2);
  const minutes = digits.length > 2 ? +digits.slice(2, 4) : 0;
  if (hours > 23 || minutes > 59) return null;
  return t - sign * (hours * 60 + minutes) * 60_000;
}

/** The seed file's Excel-style `d-Mon-yy` (e.g. `29-Nov-16`, optionally with ` H:MM`); no time means UTC midnight. */
export function parseSeedDate(text: string): number | null {
  const m = SEED_DATE.exec(text);
  if (!m) return null;
  const month = MONTHS[m[2].toLowerCase()];
  if (month === undefined) return null;
  let year = +m[3];
  if (m[3].length === 2) year += year < 70 ? 2000 : 1900;
  return utc(year, month, +m[1], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, 0);
}

export function isSeedDate(text: string): boolean {
  return SEED_DATE.test(text);
}

export function isIsoLikeTime(text: string): boolean {
  return ISO_LIKE.test(text);
}

/** Years outside this range are almost certainly a producer bug (e.g. seconds sent where milliseconds are expected). */
const MIN_TIME = Date.UTC(1990, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);

export function isPlausibleTime(ms: number): boolean {
  return ms >= MIN_TIME && ms < MAX_TIME;
}
