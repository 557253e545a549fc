/**
 * Event time rules (SPEC §3): RFC 3339 with an offset, a real calendar instant, normalised to
 * UTC with millisecond precision, and inside the window [now - retention, now + 5 minutes].
 *
 * Parsing is done by hand from the regex captures rather than with `Date.parse`, whose handling
 * of impossible dates (2026-02-30) and of two-digit years is implementation-defined.
 */
import { RFC3339_PATTERN } from './fields';
import { MAX_FUTURE_SKEW_MS } from './validation-result';

const RFC3339 = new RegExp(RFC3339_PATTERN);

export type ParsedTime = { ok: true; epochMs: number } | { ok: false; reason: string };

const DAY_MS = 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). Plain
 * arithmetic: about 3x faster than building Date objects on the hot path, and free of Date.UTC's
 * mapping of years 0-99 to 1900-1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Parses an RFC 3339 date-time. Returns `undefined` when the text does not have the RFC 3339
 * shape (the schema's pattern reports that), or the reason the shape names no real instant.
 * Fractional seconds beyond milliseconds are truncated.
 */
export function parseRfc3339(text: string): ParsedTime | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  // Groups: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction, 8 sign, 9 offset h, 10 offset m.
  const [
    ,
    yearText,
    monthText,
    dayText,
    hourText,
    minuteText,
    secondText,
    fraction,
    sign,
    offsetHourText,
    offsetMinuteText,
  ] = match;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  const offsetHour = offsetHourText === undefined ? 0 : Number(offsetHourText);
  const offsetMinute = offsetMinuteText === undefined ? 0 : Number(offsetMinuteText);

  if (month < 1 || month > 12) return { ok: false, reason: `month ${monthText} does not exist` };
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) {
    return { ok: false, reason: `${yearText}-${monthText} has ${monthDays} days, not ${dayText}` };
  }
  if (hour > 23) return { ok: false, reason: `hour ${hourText} does not exist` };
  if (minute > 59) return { ok: false, reason: `minute ${minuteText} does not exist` };
  // RFC 3339 allows a leap second (:60); JavaScript time cannot represent one, so it is refused.
  if (second > 59) return { ok: false, reason: `second ${secondText} is not supported` };
  if (offsetHour > 23 || offsetMinute > 59) {
    return {
      ok: false,
      reason: `offset ${sign ?? ''}${offsetHourText ?? ''}:${offsetMinuteText ?? ''} does not exist`,
    };
  }

  const millis =
    fraction === undefined ? 0 : Number(fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0'));
  const localMs = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000 * (sign === '-' ? -1 : 1);
  // Local time = UTC + offset, so UTC = local time - offset.
  return { ok: true, epochMs: localMs - offsetMs };
}

// `YYYY-MM-DDTHH:MM:SS.mmmZ`: what toISOString() returns for years 0000-9999.
const CANONICAL_UTC = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

/**
 * The canonical UTC form of a parsed time. Events that already arrive canonical (everything the
 * producer forwards to the processor) are returned as they are, sparing a Date allocation.
 */
export function canonicalTime(text: string, epochMs: number): string {
  return CANONICAL_UTC.test(text) ? text : new Date(epochMs).toISOString();
}

/** `3d 4h`, `7d 1m`, `12m 5s`, `800ms`: the two largest non-zero units, for window error messages. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  let rest = Math.floor(Math.abs(ms));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest %= size;
    if (count > 0 && parts.length < 2) parts.push(`${count}${unit}`);
  }
  return parts.length > 0 ? parts.join(' ') : `${rest}ms`;
}

/**
 * Why `epochMs` is outside the accepted window, or `undefined` when it is inside. Both bounds are
 * inclusive: exactly 5 minutes ahead or exactly `maxAgeMs` old is accepted.
 */
export function timeWindowViolation(epochMs: number, nowMs: number, maxAgeMs: number): string | undefined {
  if (epochMs > nowMs + MAX_FUTURE_SKEW_MS) {
    return (
      `is too far in the future: ${formatDuration(epochMs - nowMs)} ahead of the receiver's clock ` +
      `(at most ${formatDuration(MAX_FUTURE_SKEW_MS)} is accepted)`
    );
  }
  if (epochMs < nowMs - maxAgeMs) {
    return `is too old: ${formatDuration(nowMs - epochMs)} ago, older than the raw retention of ${formatDuration(maxAgeMs)}`;
  }
  return undefined;
}
