// A one-off Job in an Istio mesh: the report waits for the proxy, runs, and the pod completes.
import { Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

/** The report Job as any cdk8s-plus Job would define it (`npx projen demo` runs it without MeshJob too). */
export const REPORT_JOB: kplus.JobProps = {
  containers: [{
    name: 'report',
    image: 'registry.example.com/report:1.4',
    ...APP_IMAGE,
    command: ['/report'],
    args: ['--since', '24h', '--title', 'Nightly report: "all" regions'],
  }],
  backoffLimit: 2,
  activeDeadline: Duration.minutes(30),
  ttlAfterFinished: Duration.days(1),
};

export class IstioJobChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'report', { mesh: Mesh.istio(), ...REPORT_JOB });
  }
}
