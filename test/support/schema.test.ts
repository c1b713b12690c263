import { podSpecOf, validateManifest } from './schema';

// The validator itself must be able to fail, or every "schema-valid" assertion is empty.
describe('schema validation', () => {
  const job = () => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'probe' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } } },
  });

  test('accepts a minimal Job', () => {
    expect(() => validateManifest(job())).not.toThrow();
  });

  test('fails a Job whose container image is not a string', () => {
    const bad: any = job();
    podSpecOf(bad).containers[0].image = 42;
    expect(() => validateManifest(bad)).toThrow(/image must be string/);
  });

  test('fails a Job whose container has no name', () => {
    const bad: any = job();
    delete podSpecOf(bad).containers[0].name;
    expect(() => validateManifest(bad)).toThrow(/name/);
  });

  test('fails a Job whose pod restartPolicy is Always, as the API server does', () => {
    const bad: any = job();
    podSpecOf(bad).restartPolicy = 'Always';
    expect(() => validateManifest(bad)).toThrow(/restartPolicy "Always" must be OnFailure or Never/);
  });

  test('fails an object kind it has no schema for', () => {
    expect(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget' })).toThrow(/no schema/);
  });
});
