import { ScalarError } from "./scalars.js";

const minSeconds = -62_135_596_800n; // 0001-01-01T00:00:00Z
const maxSeconds = 253_402_300_799n; // 9999-12-31T23:59:59Z
const maxDurationSeconds = 315_576_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** 0, 3, 6 or 9 fractional digits, as the proto3 JSON mapping writes them. */
function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const digits = String(nanos).padStart(9, "0");
  if (nanos % 1_000_000 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1_000 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function nanosOf(text: string | undefined): number {
  return text === undefined ? 0 : Number(text.slice(1).padEnd(9, "0"));
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

export function formatTimestamp(seconds: string, nanos: number): string {
  const total = BigInt(seconds);
  if (total < minSeconds || total > maxSeconds || nanos < 0 || nanos > 999_999_999) {
    throw new ScalarError(`timestamp ${seconds}s ${nanos}ns is outside 0001-01-01..9999-12-31`);
  }
  const days = Number(total / 86_400n - (total % 86_400n < 0n ? 1n : 0n));
  const secondOfDay = Number(total - BigInt(days) * 86_400n);
  const [year, month, day] = civilFromDays(days);
  const time = `${pad(Math.floor(secondOfDay / 3600))}:${pad(Math.floor(secondOfDay / 60) % 60)}:${pad(secondOfDay % 60)}`;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}${fraction(nanos)}Z`;
}

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 with any offset → seconds since the epoch (as a 64-bit decimal string) and nanos. */
export function parseTimestamp(value: unknown): { seconds: string; nanos: number } {
  const match = typeof value === "string" ? timestampPattern.exec(value) : null;
  if (match === null) throw new ScalarError(`${JSON.stringify(value)} is not an RFC 3339 timestamp such as "2024-05-01T12:00:00Z"`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const days = daysFromCivil(year, month, day);
  const [checkYear, checkMonth, checkDay] = civilFromDays(days);
  if (checkYear !== year || checkMonth !== month || checkDay !== day || hour > 23 || minute > 59 || second > 59) {
    throw new ScalarError(`${JSON.stringify(value)} is not a valid date and time`);
  }
  const offsetMinutes = match[9] === undefined ? 0 : (match[9] === "-" ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  const seconds = BigInt(days) * 86_400n + BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  if (seconds < minSeconds || seconds > maxSeconds) throw new ScalarError(`${JSON.stringify(value)} is outside 0001-01-01..9999-12-31`);
  return { seconds: seconds.toString(), nanos: nanosOf(match[7]) };
}

export function formatDuration(seconds: string, nanos: number): string {
  const total = BigInt(seconds);
  if (total < -maxDurationSeconds || total > maxDurationSeconds || Math.abs(nanos) > 999_999_999 || (total > 0n && nanos < 0) || (total < 0n && nanos > 0)) {
    throw new ScalarError(`duration ${seconds}s ${nanos}ns is out of range`);
  }
  const negative = total < 0n || nanos < 0;
  const absolute = total < 0n ? -total : total;
  return `${negative ? "-" : ""}${absolute}${fraction(Math.abs(nanos))}s`;
}

/** "1.5s", "-0.000001s" → seconds and nanos with the same sign. */
export function parseDuration(value: unknown): { seconds: string; nanos: number } {
  const match = typeof value === "string" ? /^(-)?(\d+)(\.\d{1,9})?s$/.exec(value) : null;
  if (match === null) throw new ScalarError(`${JSON.stringify(value)} is not a duration such as "1.5s"`);
  const sign = match[1] === "-" ? -1 : 1;
  const seconds = BigInt(match[2]!);
  if (seconds > maxDurationSeconds) throw new ScalarError(`${value} is out of range`);
  const nanos = nanosOf(match[3]);
  return { seconds: (sign < 0 ? -seconds : seconds).toString(), nanos: sign * nanos === 0 ? 0 : sign * nanos };
}
