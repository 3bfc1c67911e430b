/** The second last formatted, as "2026-11-25T14:07:43." (events come in bursts within a second). */
let second = NaN;
let prefix = '';

/**
 * Epoch milliseconds as the collector's ISO 8601 time, "2026-11-25T14:07:43.462Z" — what
 * new Date(ms).toISOString() gives, with the date part formatted once per second rather than
 * twice per event.
 */
export function isoTime(ms: number): string {
  const whole = Math.trunc(ms); // as Date does (toward zero)
  const s = Math.floor(whole / 1000);
  if (s !== second || !Number.isFinite(s)) {
    if (!Number.isFinite(whole) || Math.abs(whole) > 8.64e15) return new Date(ms).toISOString(); // throws as Date does
    const iso = new Date(s * 1000).toISOString();
    if (iso.length !== 24) return new Date(whole).toISOString(); // years beyond 9999: not cached
    prefix = iso.slice(0, 20);
    second = s;
  }
  const milli = whole - s * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
