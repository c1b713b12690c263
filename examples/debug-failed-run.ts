// Debugging a failed run: when the command fails, the proxy stays up so you can
// `kubectl exec` into the pod and run `istioctl proxy-config`. activeDeadline ends the pod later.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob, SidecarLifecycle } from '../src';
import { APP_IMAGE } from './images';

export class DebugFailedRunChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'flaky-sync', {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ keepProxyOnFailure: true }),
      containers: [{ name: 'sync', image: 'registry.example.com/sync:0.9', command: ['/sync'], args: ['--verbose'], ...APP_IMAGE }],
      backoffLimit: 0,
      activeDeadline: Duration.hours(2),
    });
  }
}
