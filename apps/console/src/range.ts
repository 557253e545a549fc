/** Turns the view's range into the `from`/`to` the API is asked for, and back into labels. */
import { toRfc3339, type ViewRange } from './url-state';

const RANGE_MS = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const;

export interface ResolvedRange {
  readonly from: string;
  readonly to: string;
}

/** Relative ranges end now; both bounds go to the API as RFC 3339 (it aligns them to its grid). */
export function resolveRange(range: ViewRange, nowMs: number): ResolvedRange {
  if (range.name === 'custom') return { from: range.from, to: range.to };
  return { from: toRfc3339(nowMs - RANGE_MS[range.name]), to: toRfc3339(nowMs) };
}

/** `<input type="datetime-local">` holds no zone; the console reads it as UTC. */
export function datetimeLocalToRfc3339(value: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(value);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}${match[2] ?? ':00'}Z`);
  return Number.isNaN(ms) ? undefined : toRfc3339(ms);
}

export function rfc3339ToDatetimeLocal(value: string): string {
  return new Date(Date.parse(value)).toISOString().slice(0, 16);
}

/** `2026-12-06 10:00` for an RFC 3339 instant, in UTC. */
export function formatUtcMinute(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function formatRangeLabel(range: ResolvedRange): string {
  return `${formatUtcMinute(range.from)} → ${formatUtcMinute(range.to)} UTC`;
}

/** ISO 8601 basic format (`20261206T100000Z`): no colons, so the name survives every file system. */
export function filenameTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return 'unknown';
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}
