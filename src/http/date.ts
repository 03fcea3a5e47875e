/**
 * HTTP dates (RFC 9110 §5.6.7): the cached `Date` header value, and strict
 * parsing of the three formats a recipient must accept.
 */

let cachedDate = '';
/** `Date: <cachedDate>\r\n`, the field line every response carries, as bytes. */
let cachedDateLine: Buffer = Buffer.alloc(0);
let refresher: NodeJS.Timeout | null = null;

function refreshDate(): void {
  const now = Date.now();
  cachedDate = new Date(now).toUTCString();
  cachedDateLine = Buffer.from(`Date: ${cachedDate}\r\n`, 'latin1');
  // Wake just after the next second boundary. Unref'd: it never keeps the
  // process alive, and it is the only timer this module owns.
  refresher = setTimeout(refreshDate, 1000 - (now % 1000) + 1);
  refresher.unref();
}

/**
 * The current time as an IMF-fixdate. A timer refreshes it once a second, so
 * a response pays for no clock read and no formatting.
 */
export function httpDateNow(): string {
  if (refresher === null) refreshDate();
  return cachedDate;
}

/** The Date field line of a response sent now (`Date: ...\r\n`), refreshed with httpDateNow(). */
export function httpDateLine(): Buffer {
  if (refresher === null) refreshDate();
  return cachedDateLine;
}

/** Formats a time (ms since epoch, or a Date) as an IMF-fixdate. */
export function formatHttpDate(time: number | Date): string {
  return new Date(typeof time === 'number' ? time : time.getTime()).toUTCString();
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

// IMF-fixdate:  Sun, 06 Nov 1994 08:49:37 GMT
const IMF = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
// obsolete RFC 850:  Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/;
// asctime:  Sun Nov  6 08:49:37 1994
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/**
 * Parses an HTTP-date in any of the three formats; returns ms since epoch, or
 * NaN when the value is not a valid date (such values are to be ignored).
 */
export function parseHttpDate(value: string): number {
  let m = IMF.exec(value);
  if (m) return build(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC850.exec(value);
  if (m) {
    // Two-digit years: RFC 9110 §5.6.7 — more than 50 years in the future means the past century.
    let year = 2000 + +m[3]!;
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    return build(year, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = ASCTIME.exec(value);
  if (m) return build(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return NaN;
}

function build(year: number, mon: string, day: number, h: number, mi: number, s: number): number {
  const month = MONTHS[mon];
  if (month === undefined || h > 23 || mi > 59 || s > 60 || day < 1) return NaN;
  const t = Date.UTC(year, month, day, h, mi, s === 60 ? 59 : s);
  // Reject days past the end of the month (Date.UTC would roll over).
  return new Date(t).getUTCDate() === day ? t : NaN;
}
