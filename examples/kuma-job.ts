// A Job in a Kuma mesh: the pod is labelled for injection and held until the dataplane is ready.
// Kuma's control plane stops the sidecar of a Job's pod once the other containers have ended, so
// the command is not wrapped.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class KumaJobChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'export', {
      mesh: Mesh.kuma(),
      containers: [{ name: 'export', image: 'registry.example.com/export:2.0', command: ['/export'], ...APP_IMAGE }],
    });
  }
}
