/**
 * Schedule expressions of scheduled tasks, checked field by field when the service is built, so a
 * mistake fails the build with the field named rather than the deploy with "Parameter
 * ScheduleExpression is not valid". The grammar is EventBridge's (the same for rules and for
 * Scheduler's recurring schedules):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
import { BerthError, q } from '../../../src/dsl/index.ts';
import type { ServiceRole } from './definition.ts';

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names the field accepts for its values (JAN-DEC, SUN-SAT), from `min`. */
  readonly names?: readonly string[];
  /** `?` allowed (the two day fields). */
  readonly any?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The six fields, in order: `cron(minutes hours day-of-month month day-of-week year)`. */
export const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, any: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** Why `text` is not a valid value of `field`, or `undefined` when it is. */
function value(field: CronField, text: string): string | undefined {
  const upper = text.toUpperCase();
  if (field.names?.includes(upper)) return undefined;
  if (!/^\d+$/.test(text)) {
    return `${q(text)} is not a number${field.names ? ` or a name (${field.names[0]}-${field.names[field.names.length - 1]})` : ''}`;
  }
  const n = Number(text);
  if (n < field.min || n > field.max) return `${q(text)} is outside ${field.min}-${field.max}`;
  return undefined;
}

/** Why one comma-separated item of `field` is invalid, or `undefined`. */
function item(field: CronField, text: string): string | undefined {
  if (text === '*') return undefined;
  if (field.name === 'day-of-month') {
    if (text === 'L' || text === 'LW') return undefined;
    const w = /^(\d+)W$/.exec(text);
    if (w) return value(field, w[1]!);
  }
  if (field.name === 'day-of-week') {
    if (text === 'L') return undefined;
    const last = /^(\w+)L$/.exec(text);
    if (last) return value(field, last[1]!);
    const nth = /^(\w+)#(\d+)$/.exec(text);
    if (nth) return value(field, nth[1]!) ?? (Number(nth[2]) >= 1 && Number(nth[2]) <= 5 ? undefined : `${q(text)}: the week after \`#\` must be 1 to 5`);
  }
  const step = /^([^/]+)\/(\d+)$/.exec(text);
  if (step) {
    const n = Number(step[2]);
    if (n < 1 || n > field.max) return `${q(text)}: the increment after \`/\` must be 1 to ${field.max}`;
    return step[1] === '*' ? undefined : item(field, step[1]!);
  }
  const range = /^(\w+)-(\w+)$/.exec(text);
  if (range) return value(field, range[1]!) ?? value(field, range[2]!);
  if (/[LW#?]/.test(text)) return `${q(text)} uses \`${text.replace(/[^LW#?]/g, '')[0]}\`, which ${field.name} does not take${field.name === 'day-of-month' ? ' there (`L`, `LW` and `<day>W` only alone)' : ''}`;
  return value(field, text);
}

/** Why a cron expression's six fields are invalid, or `undefined`. */
export function cronProblem(fields: readonly string[]): string | undefined {
  if (fields.length !== 6) return `has ${fields.length} fields; EventBridge cron has six: minutes hours day-of-month month day-of-week year`;
  for (const [i, field] of CRON_FIELDS.entries()) {
    const text = fields[i]!;
    if (text === '?') {
      if (!field.any) return `${field.name} is \`?\`, which only day-of-month and day-of-week take`;
      continue;
    }
    const items = text.split(',');
    if (items.length > 1 && items.some((x) => /[LW#]/.test(x))) return `${field.name} ${q(text)} combines \`L\`, \`W\` or \`#\` with a list, which EventBridge does not accept`;
    for (const x of items) {
      const problem = x === '' ? `${q(text)} has an empty item` : item(field, x);
      if (problem) return `${field.name} ${problem}`;
    }
  }
  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
  // specify a value or a * in one of the fields, you must use a ? in the other."
  const dom = fields[2] === '?';
  const dow = fields[4] === '?';
  if (dom === dow) return dom ? 'has `?` in both day-of-month and day-of-week; exactly one of them takes `?`' : 'needs `?` in exactly one of day-of-month and day-of-week (the other gives the days)';
  return undefined;
}

/** Why a rate expression's body is invalid, or `undefined`. */
export function rateProblem(body: string): string | undefined {
  const m = /^(\S+) (\S+)$/.exec(body);
  if (!m) return 'is not `rate(<value> <unit>)`';
  const [, value, unit] = m;
  if (!/^\d+$/.test(value!) || Number(value) < 1) return `${q(value!)} is not a positive whole number`;
  if (!/^(minute|hour|day)s?$/.test(unit!)) return `${q(unit!)} is not a unit: use minute(s), hour(s) or day(s)`;
  if ((Number(value) === 1) === unit!.endsWith('s')) return Number(value) === 1 ? `a value of 1 takes the singular unit: \`rate(1 ${unit!.slice(0, -1)})\`` : `a value above 1 takes the plural unit: \`rate(${value} ${unit}s)\``;
  return undefined;
}

/** Checks a scheduled task's expression and time zone; throws a located `BerthError`. */
export function checkSchedule(at: (p: string) => string, role: Extract<ServiceRole, { kind: 'scheduled' }>): void {
  const expr = role.schedule;
  const cron = /^cron\((.*)\)$/.exec(expr);
  const rate = /^rate\((.*)\)$/.exec(expr);
  const problem = cron ? cronProblem(cron[1]!.trim().split(/\s+/)) : rate ? rateProblem(rate[1]!) : 'is neither `cron(...)` nor `rate(...)`';
  if (problem) {
    throw new BerthError(
      at('role.schedule'),
      `${q(expr)} ${problem}. Write an EventBridge schedule such as \`cron(0 3 * * ? *)\` (03:00 every day) or \`rate(15 minutes)\`: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html`,
    );
  }
  if (role.timeZone !== undefined && (role.via ?? 'scheduler') === 'eventRule') {
    throw new BerthError(at('role.timeZone'), 'is set, but EventBridge rules run in UTC only. Remove `timeZone`, or use `via: \'scheduler\'` (EventBridge Scheduler), which has time zones.');
  }
  // UTC needs no check, and skipping it spares loading the time-zone database (about 10 ms a build).
  if (role.timeZone !== undefined && role.timeZone !== 'UTC') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: role.timeZone });
    } catch {
      throw new BerthError(at('role.timeZone'), `${q(role.timeZone)} is not an IANA time zone. Use a name such as \`UTC\` or \`Europe/Paris\`.`);
    }
  }
}
