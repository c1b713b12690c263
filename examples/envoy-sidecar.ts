// A plain Envoy sidecar that the job declares itself, with its admin API on 127.0.0.1:9901:
// the main container waits for /ready and stops it with POST /quitquitquit (the sidecar's
// quitRequest is the mesh's own quit, so it is sent once and Envoy is not wrapped).
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE, ENVOY } from './images';

export class EnvoySidecarChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'sync', {
      mesh: Mesh.envoy({ adminPort: 9901 }),
      containers: [{ name: 'sync', image: 'registry.example.com/sync:1.0', command: ['/sync'], ...APP_IMAGE }],
      sidecars: [{
        name: 'envoy',
        image: 'envoyproxy/envoy:v1.31.2',
        ...ENVOY,
        command: ['envoy'],
        args: ['-c', '/etc/envoy/envoy.yaml'],
        quitRequest: { url: 'http://localhost:9901/quitquitquit' },
      }],
      activeDeadline: Duration.hours(1),
    });
  }
}
