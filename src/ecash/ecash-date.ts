// Calendar dates as upstream's `time::Date` carries them (time 0.3, default features: years -9999..=9999).
// Two encodings appear on the wire: CredentialSpendingData::to_bytes writes the Julian day number as an
// i32 (credentials-interface/src/lib.rs), and serde writes the tuple (year i32, ordinal day u16)
// (time's serde impl for non-human-readable formats). The e-cash scheme itself uses the UTC midnight
// unix timestamp as a u32 (`EcashTime::ecash_unix_timestamp`, common/ecash-time).
import { EcashError } from './errors.js';

export interface EcashDate {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number; // 1..31
}

const MIN_YEAR = -9999;
const MAX_YEAR = 9999;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

export function ecashDate(year: number, month: number, day: number): EcashDate {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) throw new EcashError('date', 'date', `year ${year} outside ${MIN_YEAR}..${MAX_YEAR}`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new EcashError('date', 'date', `month ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) throw new EcashError('date', 'date', `day ${day} of ${year}-${month}`);
  return { year, month, day };
}

// Proleptic Gregorian ↔ Julian day number, by whole-day counting from 0000-03-01 (floor division keeps it
// right for negative years too). Julian day 2440588 is 1970-01-01.
const floorDiv = (a: number, b: number) => Math.floor(a / b);

export function toJulianDay(d: EcashDate): number {
  const y = d.month <= 2 ? d.year - 1 : d.year;
  const m = d.month <= 2 ? d.month + 9 : d.month - 3;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * m + 2, 5) + d.day - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  const daysFromEpoch = era * 146097 + doe - 719468;
  return daysFromEpoch + 2440588;
}

export function fromJulianDay(jd: number, what = 'julian day'): EcashDate {
  if (!Number.isInteger(jd)) throw new EcashError('date', what, `${jd} is not a whole day`);
  const z = jd - 2440588 + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const day = doy - floorDiv(153 * mp + 2, 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < MIN_YEAR || year > MAX_YEAR) throw new EcashError('date', what, `${jd} is outside time::Date's range`);
  return { year, month, day };
}

/** Day of the year, 1-based (time::Date::ordinal). */
export function ordinal(d: EcashDate): number {
  let n = d.day;
  for (let m = 1; m < d.month; m++) n += daysInMonth(d.year, m);
  return n;
}

export function fromOrdinal(year: number, ord: number, what = 'date'): EcashDate {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) throw new EcashError('date', what, `year ${year} outside ${MIN_YEAR}..${MAX_YEAR}`);
  const days = isLeap(year) ? 366 : 365;
  if (!Number.isInteger(ord) || ord < 1 || ord > days) throw new EcashError('date', what, `day ${ord} of a ${days}-day year`);
  let month = 1;
  let rest = ord;
  while (rest > daysInMonth(year, month)) rest -= daysInMonth(year, month++);
  return { year, month, day: rest };
}

/** UTC midnight as unix seconds, the u32 the scheme signs (EcashTime::ecash_unix_timestamp). */
export function ecashUnixTimestamp(d: EcashDate): number {
  const seconds = (toJulianDay(d) - 2440588) * 86400;
  if (seconds < 0 || seconds > 0xffff_ffff) throw new EcashError('date', 'date', 'outside the u32 timestamps the scheme uses');
  return seconds;
}

/** "YYYY-MM-DD" (nym_serde_helpers::date, the vpn-api's dates) into a date, checked. */
export function parseEcashDate(v: unknown, what = 'date'): EcashDate {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  if (!m) throw new EcashError('format', what, `not a YYYY-MM-DD date: ${JSON.stringify(v)}`);
  return ecashDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function formatEcashDate(d: EcashDate): string {
  const pad = (n: number, w: number) => String(Math.abs(n)).padStart(w, '0');
  return `${d.year < 0 ? '-' : ''}${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}
