import { Cron } from 'cdk8s';
import { Mesh, MeshJob, MeshJobProps } from '../../src';
import { checkCronSchedule } from '../../src/job/schedule';
import { newChart, renderMeshJob } from '../support/render';

const report = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] };
const build = (props: Partial<MeshJobProps>) => () => new MeshJob(newChart(), 'nightly', { mesh: Mesh.istio(), containers: [report], ...props });

describe('a CronJob schedule is checked at synth', () => {
  test.each([
    ['0 3 * * *'],
    ['*/15 * * * *'],
    ['0 0-23/2 1,15 JAN-MAR mon-fri'],
    ['30 4 ? * 6'],
  ])('accepts %j', (expression) => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), containers: [report], schedule: Cron.schedule(cronParts(expression)) });
    expect(manifest.spec.schedule).toBe(expression);
  });

  test('fails on a minute outside 0-59, naming the field and the range', () => {
    expect(build({ schedule: Cron.schedule({ minute: '61' }) })).toThrow(
      'meshjob \'reports/nightly\': schedule "61 * * * *" has minute "61", outside 0-59: use five fields (minute hour day-of-month month day-of-week), ' +
      "e.g. Cron.daily() or Cron.schedule({ minute: '0', hour: '3' })",
    );
  });

  test.each([
    ['0 24 * * *', /hour "24", outside 0-23/],
    ['0 0 0 * *', /day of month "0", outside 1-31/],
    ['0 0 * 13 *', /month "13", outside 1-12 \(or JAN-DEC\)/],
    ['0 0 * * FUNDAY', /day of week "FUNDAY", outside 0-6 \(or SUN-SAT\)/],
    // robfig/cron's standard parser (and so the API server) has no 7 for Sunday.
    ['0 3 * * 7', /day of week "7", outside 0-6 \(or SUN-SAT\)/],
    ['0 0 * * 5-1', /range "5-1" that ends before it starts/],
    ['*/0 * * * *', /minute step "\*\/0"/],
  ])('fails on %j', (expression, message) => {
    expect(build({ schedule: Cron.schedule(cronParts(expression)) })).toThrow(message);
  });

  test('accepts the macros the CronJob controller reads, and refuses a schedule without five fields', () => {
    expect(() => checkCronSchedule('s', '@hourly')).not.toThrow();
    expect(() => checkCronSchedule('s', '@every 1h30m')).not.toThrow();
    expect(() => checkCronSchedule('s', '0 0 * *')).toThrow(/^s: schedule "0 0 \* \*" has 4 fields: use five fields/);
  });

  test('accepts a time zone of the tz database', () => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), containers: [report], schedule: Cron.daily(), timeZone: 'Europe/Berlin' });
    expect(manifest.spec.timeZone).toBe('Europe/Berlin');
  });

  test('fails on a time zone the tz database does not have', () => {
    expect(build({ schedule: Cron.daily(), timeZone: 'Mars/Olympus_Mons' })).toThrow(
      'meshjob \'reports/nightly\': timeZone "Mars/Olympus_Mons" is not a time zone of the tz database: use a name such as "Etc/UTC" or "Europe/Berlin"',
    );
    expect(build({ schedule: Cron.daily(), timeZone: '+02:00' })).toThrow(/timeZone "\+02:00" is not a time zone/);
  });
});

/** A cron expression as Cron.schedule() options (so that it renders exactly as written). */
function cronParts(expression: string) {
  const [minute, hour, day, month, weekDay] = expression.split(' ');
  return { minute, hour, day, month, weekDay };
}
