import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { runMeshjob } from './run';
import { meshjobExecutable, runPostRenderer } from '../support/cli';
import { podMetadataOf, podSpecOf, validateAll, validateManifest } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

const CHART_OUTPUT = readFileSync(join(__dirname, '..', 'fixtures', 'helm', 'app-chart.yaml'), 'utf-8');
const docsOf = (yaml: string): any[] => parseAllDocuments(yaml).map((d) => d.toJS());
const jobsOf = (docs: any[]): any[] => docs.flatMap((d) => (d.kind === 'List' ? d.items : [d])).filter((d) => d.kind === 'Job' || d.kind === 'CronJob');

beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(async () => {
  jest.restoreAllMocks();
  await cleanup();
});

describe('the meshjob post-renderer', () => {
  const render = (args: string[], input = CHART_OUTPUT) => runMeshjob(args, input);

  test('makes the migration hook Job, the backup CronJob and a listed Job mesh-safe and schema-valid', async () => {
    const r = await render(['--mesh', 'istio']);
    expect(r.code).toBe(0);
    const jobs = jobsOf(docsOf(r.stdout));
    expect(jobs.map((j) => j.metadata.name)).toEqual(['shop-migrate', 'shop-backup', 'shop-reindex']);
    for (const job of jobs) {
      validateManifest(job);
      expect(podMetadataOf(job).annotations['meshjob/lifecycle']).toBe('wrap');
      expect(podMetadataOf(job).labels['sidecar.istio.io/inject']).toBe('true');
      expect(podSpecOf(job).containers[0].command[0]).toBe('/meshjob/bin/busybox');
      expect(podSpecOf(job).initContainers[0].name).toBe('meshjob-busybox');
    }
  });

  test('keeps every argument of the original command', async () => {
    const job = jobsOf(docsOf((await render(['--mesh', 'istio'])).stdout))[0];
    const container = podSpecOf(job).containers[0];
    expect(container.command[container.command.indexOf('-c') + 2]).toBe('meshjob');
    expect(container.command.slice(-1)).toEqual(['/migrate']);
    expect(container.args).toEqual(['up', '--to', 'latest']);
  });

  test('leaves every other document unchanged and in order, comments included', async () => {
    const r = await render(['--mesh', 'istio']);
    const before = docsOf(CHART_OUTPUT);
    const after = docsOf(r.stdout);
    expect(after.map((d) => d.kind)).toEqual(before.map((d) => d.kind));
    before.forEach((doc, i) => {
      if (!['Job', 'CronJob', 'List'].includes(doc.kind)) expect(after[i]).toEqual(doc);
    });
    expect(r.stdout).toContain('# keep this comment');
    expect(r.stdout).toContain('# Source: shop/templates/migrate-job.yaml');
  });

  test('keeps Helm 4\'s postrender-filename annotation', async () => {
    const job = jobsOf(docsOf((await render(['--mesh', 'istio'])).stdout))[0];
    expect(job.metadata.annotations['postrenderer.helm.sh/postrender-filename']).toBe('shop/templates/migrate-job.yaml');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
  });

  test('applied twice equals applied once', async () => {
    const once = (await render(['--mesh', 'istio'])).stdout;
    expect((await render(['--mesh', 'istio'], once)).stdout).toBe(once);
  });

  test('turns a chart\'s restartPolicy OnFailure into Never, saying so', async () => {
    const r = await render(['--mesh', 'istio']);
    const backup = jobsOf(docsOf(r.stdout)).find((j) => j.metadata.name === 'shop-backup');
    expect(podSpecOf(backup).restartPolicy).toBe('Never');
    expect(r.stderr).toContain('meshjob: document 6 (CronJob shop-backup): restartPolicy OnFailure became Never');
  });

  test('labels the pods for an Istio revision with --istio-revision', async () => {
    const r = await render(['--mesh', 'istio', '--istio-revision', 'canary']);
    expect(r.code).toBe(0);
    for (const job of jobsOf(docsOf(r.stdout))) {
      expect(podMetadataOf(job).labels['istio.io/rev']).toBe('canary');
      expect(podMetadataOf(job).labels['sidecar.istio.io/inject']).toBeUndefined();
    }
  });

  test('renders native sidecars for known versions that support them', async () => {
    const r = await render(['--mesh', 'istio', '--mesh-version', '1.24', '--kubernetes-version', '1.33']);
    const job = jobsOf(docsOf(r.stdout))[0];
    expect(podMetadataOf(job).annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(podSpecOf(job).containers[0].command).toEqual(['/migrate']);
  });

  test('leaves alone a Job annotated meshjob/skip', async () => {
    const input = CHART_OUTPUT.replace('name: shop-migrate\n  annotations:\n', 'name: shop-migrate\n  annotations:\n    meshjob/skip: "true"\n');
    const job = jobsOf(docsOf((await render(['--mesh', 'istio'], input)).stdout))[0];
    expect(podSpecOf(job).containers[0].command).toEqual(['/migrate']);
  });

  test('reads its options from a config file, flags winning', async () => {
    const config = join(tempDir(), 'meshjob.yaml');
    writeFileSync(config, 'mesh: linkerd\nlifecycle: wrap\n');
    const job = jobsOf(docsOf((await render(['--config', config])).stdout))[0];
    expect(podMetadataOf(job).annotations['linkerd.io/inject']).toBe('enabled');
  });

  describe('bad input: non-zero exit, one stderr line per problem, nothing on stdout', () => {
    test('fails on invalid YAML', async () => {
      const r = await render(['--mesh', 'istio'], 'apiVersion: batch/v1\nkind: Job\nmetadata: [unclosed\n');
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toMatch(/^meshjob: document 1 \(Job\): invalid YAML: .+ \(line 4, column 1\)\n$/);
    });

    test('leaves a Job whose container has no command unchanged, instead of failing the stream', async () => {
      const input = CHART_OUTPUT.replace('          command: ["/migrate"]\n', '');
      const r = await render(['--mesh', 'istio'], input);
      expect(r.code).toBe(0);
      const before = jobsOf(docsOf(input)).find((j) => j.metadata.name === 'shop-migrate');
      const after = jobsOf(docsOf(r.stdout)).find((j) => j.metadata.name === 'shop-migrate');
      expect(after.spec).toEqual(before.spec);
    });

    test('fails on unknown options, one line each', async () => {
      const r = await render(['--mesh', 'istio', '--colour=red', '--nope', 'chart.yaml']);
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr.trim().split('\n')).toEqual([
        'meshjob: unknown option "--colour" (see --help)',
        'meshjob: unknown option "--nope" (see --help)',
        'meshjob: unexpected argument "chart.yaml": meshjob reads manifests from stdin',
      ]);
    });

    test('fails on an unknown mesh', async () => {
      expect(await render(['--mesh', 'cilium'])).toMatchObject({ code: 1, stdout: '', stderr: 'meshjob: unknown mesh "cilium": use one of istio, istio-ambient, linkerd, consul, kuma, envoy, none\n' });
    });

    test('fails on an unknown option in the config file', async () => {
      const config = join(tempDir(), 'meshjob.yaml');
      writeFileSync(config, 'mesh: istio\nmeshVersoin: "1.24"\n');
      const r = await render(['--config', config]);
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toContain('unknown option "meshVersoin"');
    });

    test('passes empty input through, as Helm 3 accepts for a chart that renders only hooks', async () => {
      expect(await render(['--mesh', 'istio'], '  \n')).toMatchObject({ code: 0, stdout: '  \n', stderr: '' });
    });

    test('fails without a mesh', async () => {
      expect(await render([])).toMatchObject({ code: 1, stdout: '' });
    });
  });

  describe('--check', () => {
    test('lists the Jobs and CronJobs that would hang and exits 1', async () => {
      const r = await render(['--check', '--mesh', 'istio']);
      expect(r.code).toBe(1);
      expect(r.stdout.trim().split('\n').map((l) => l.split(' would hang')[0])).toEqual(['Job shop-migrate', 'CronJob shop-backup', 'Job shop-reindex']);
    });

    test('passes a stream the post-renderer already made mesh-safe', async () => {
      const safe = (await render(['--mesh', 'istio'])).stdout;
      expect(await render(['--check', '--mesh', 'istio'], safe)).toMatchObject({ code: 0, stdout: '' });
    });
  });

  test('runs as Helm 3 runs a --post-renderer: an executable, manifests on stdin and stdout', async () => {
    const r = runPostRenderer(meshjobExecutable(), ['--mesh', 'istio'], CHART_OUTPUT);
    expect(r.code).toBe(0);
    const docs = validateAll(docsOf(r.stdout).flatMap((d) => (d.kind === 'List' ? d.items : [d])));
    expect(jobsOf(docs)).toHaveLength(3);
  });

  test('ships a Helm 4 post-renderer plugin that runs meshjob with its settings file', async () => {
    const dir = join(__dirname, '..', '..', 'helm-plugin');
    const plugin = parse(readFileSync(join(dir, 'plugin.yaml'), 'utf-8'));
    expect(plugin).toMatchObject({ apiVersion: 'v1', type: 'postrenderer/v1', name: 'meshjob', runtime: 'subprocess' });
    expect(plugin.runtimeConfig.platformCommand[0].command).toBe('${HELM_PLUGIN_DIR}/post-render.sh');
    const settings = parse(readFileSync(join(dir, 'meshjob.yaml'), 'utf-8'));
    expect((await runMeshjob(['--config', join(dir, 'meshjob.yaml')], CHART_OUTPUT)).code).toBe(0);
    expect(settings.mesh).toBe('istio');
  });
});

describe('the meshjob post-renderer and text from the manifests', () => {
  // A chart's Job named with an escape sequence (written as YAML escapes, so the file holds none):
  // the line that names it must not set a terminal's title or clear its screen.
  const hostile = [
    'apiVersion: batch/v1', 'kind: Job', 'metadata:', '  name: "evil\\e]0;owned\\a\\e[2J"', 'spec:', '  template:', '    spec:',
    '      restartPolicy: Never', '      containers:', '        - name: migrate', '          image: registry.example.com/migrate:1', '',
  ].join('\n');

  test('GIVEN a Job it leaves alone whose name holds control characters THEN its stderr line shows them escaped', async () => {
    const r = await runMeshjob(['--mesh', 'istio'], hostile);
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(r.stderr).toContain('evil\\x1b]0;owned\\x07\\x1b[2J');
  });

  test('GIVEN the same Job under --check THEN the report line shows them escaped too', async () => {
    const r = await runMeshjob(['--mesh', 'istio', '--check'], hostile);
    expect(r.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(r.stdout).toContain('evil\\x1b]0;owned\\x07\\x1b[2J');
  });
});
