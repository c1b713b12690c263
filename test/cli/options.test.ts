import { runMeshjob } from './run';
import { CliOptions, FLAGS, readFlag, readOptionText, toFlags } from '../../src/cli/options';

// Options given other ways than flags (a KRM function's config) say the same as the flags.

describe('options as flags and as text', () => {
  const OPTIONS: CliOptions = {
    mesh: 'istio',
    readyTimeoutSeconds: 30,
    strict: true,
    sidecars: ['cloud-sql-proxy', 'vault-agent'],
    select: ['kind=CronJob,namespace=prod', 'label:app=shop'],
    entrypoints: { 'registry.k8s.io/ingress-nginx/kube-webhook-certgen': ['/kube-webhook-certgen'], 'busybox': ['/bin/sh', '-c'] },
  };

  test('GIVEN options WHEN written as flags and read back THEN they are the same options', () => {
    const back: CliOptions = {};
    for (const arg of toFlags(OPTIONS)) {
      const [flag, value] = arg.split(/=(.*)/s, 2);
      expect(readFlag(back, flag, value)).toBeUndefined();
    }
    expect(back).toEqual(OPTIONS);
  });

  test('GIVEN a ConfigMap\'s data, one list item or entrypoint a line WHEN read THEN they are the same options', () => {
    const back: CliOptions = {};
    const data: Record<string, string> = {
      mesh: 'istio',
      readyTimeoutSeconds: '30',
      strict: 'true',
      sidecars: 'cloud-sql-proxy\nvault-agent\n',
      select: 'kind=CronJob,namespace=prod\nlabel:app=shop',
      entrypoints: 'registry.k8s.io/ingress-nginx/kube-webhook-certgen=/kube-webhook-certgen\nbusybox=/bin/sh,-c\n',
    };
    for (const [key, text] of Object.entries(data)) expect(readOptionText(back, key, text)).toBeUndefined();
    expect(back).toEqual(OPTIONS);
  });

  test('fails on a ConfigMap entrypoint without a path, naming the option', () => {
    expect(readOptionText({}, 'entrypoints', 'busybox')).toMatch(/^option "entrypoints": --entrypoint "busybox" is not IMAGE=PATH/);
  });
});

describe('meshjob --help', () => {
  test('lists every flag the command line reads, each with the help text it is declared with', async () => {
    const { code, stdout } = await runMeshjob(['--help']);
    expect(code).toBe(0);
    const missing = Object.entries(FLAGS).filter(([flag, spec]) => {
      const at = stdout.indexOf(`  ${flag} `);
      return at < 0 || !stdout.slice(at).split('\n').slice(0, 2).join(' ').includes(spec.help);
    });
    expect(missing.map(([flag]) => flag)).toEqual([]);
  });
});
