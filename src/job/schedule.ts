// Checks of a CronJob's schedule and time zone, so that a typo fails synth instead of being
// rejected by the API server (or, for some typos, accepted and never run). The field rules are
// the standard cron ones that Kubernetes' CronJob controller parses (robfig/cron/v3
// ParseStandard, which the API server also validates with): minute 0-59, hour 0-23, day of month
// 1-31, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT, each a "*" or "?", a value, a range, a
// step ("*/15", "1-30/5") or a list of these; or one of the macros @yearly, @annually, @monthly,
// @weekly, @daily, @midnight, @hourly, or @every DURATION.

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

/** Throws, naming the subject, the field and the accepted range, when `expression` is not a valid schedule. @internal */
export function checkCronSchedule(subject: string, expression: string): void {
  const text = expression.trim();
  if (MACROS.includes(text) || /^@every (\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return;
  const parts = text.split(/\s+/);
  const fail = (why: string): never => {
    throw new Error(`${subject}: schedule ${JSON.stringify(expression)} ${why}: use five fields (minute hour day-of-month month day-of-week), e.g. Cron.daily() or Cron.schedule({ minute: '0', hour: '3' })`);
  };
  if (parts.length !== 5) fail(`has ${parts.length} fields`);
  parts.forEach((part, i) => {
    const field = FIELDS[i];
    const value = (v: string): number => {
      const named = field.names?.indexOf(v.toUpperCase()) ?? -1;
      const n = named >= 0 ? named + field.min : /^\d+$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n) || n < field.min || n > field.max) {
        fail(`has ${field.name} ${JSON.stringify(v)}, outside ${field.min}-${field.max}${field.names ? ` (or ${field.names[0]}-${field.names[field.names.length - 1]})` : ''}`);
      }
      return n;
    };
    for (const item of part.split(',')) {
      if (item === '?') continue;
      const [range, step, extra] = item.split('/');
      if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) fail(`has ${field.name} step ${JSON.stringify(item)}`);
      if (range === '*') continue;
      const [from, to, more] = range.split('-');
      if (more !== undefined || from === '') fail(`has ${field.name} ${JSON.stringify(item)}`);
      const low = value(from);
      if (to !== undefined && value(to) < low) fail(`has ${field.name} range ${JSON.stringify(range)} that ends before it starts`);
    }
  });
}

/** Throws when `timeZone` is not an IANA time zone name, e.g. "Europe/Berlin". @internal */
export function checkTimeZone(subject: string, timeZone: string): void {
  let known = true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    known = false;
  }
  // The API server loads zones from the tz database by name; Intl also accepts offsets and
  // abbreviations that it would refuse.
  if (!known || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) {
    throw new Error(`${subject}: timeZone ${JSON.stringify(timeZone)} is not a time zone of the tz database: use a name such as "Etc/UTC" or "Europe/Berlin"`);
  }
}
