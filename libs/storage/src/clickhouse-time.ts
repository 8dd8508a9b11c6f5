/** ClickHouse DateTime64 text (UTC, no zone) of a time in ms since the epoch, or of an ISO string. */
export function chTime(t: number | string): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
