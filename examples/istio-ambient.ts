// Istio's ambient data plane: no sidecar in the pod, so nothing to wrap.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class IstioAmbientChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'compact', {
      mesh: Mesh.istioAmbient(),
      containers: [{ name: 'compact', image: 'registry.example.com/compact:1.1', ...APP_IMAGE }],
    });
  }
}
