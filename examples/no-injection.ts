// The "disable injection" workaround: no proxy, so nothing waits or stops, and the Job's traffic
// leaves the mesh (no mTLS, no policy, no telemetry). Use it only for jobs that need none of it.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob, SidecarInjection } from '../src';
import { APP_IMAGE } from './images';

export class NoInjectionChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'vacuum', {
      mesh: Mesh.istio({ injection: SidecarInjection.DISABLED }),
      containers: [{ name: 'vacuum', image: 'registry.example.com/pg-tools:16', command: ['vacuumdb', '--all'], ...APP_IMAGE }],
    });
  }
}
