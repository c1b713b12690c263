// An in-house mesh whose proxy answers /healthz on 7001 and stops on POST /admin/stop.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpMethod, Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class CustomMeshChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'ledger-audit', {
      mesh: Mesh.custom({
        name: 'corpnet',
        readinessUrl: 'http://localhost:7001/healthz',
        quitRequests: [{ url: 'http://localhost:7001/admin/stop', method: HttpMethod.POST }],
        podLabels: { 'corpnet.example.com/inject': 'true' },
        podAnnotations: { 'corpnet.example.com/profile': 'batch' },
      }),
      containers: [{ name: 'audit', image: 'registry.example.com/audit:3.3', command: ['/audit'], ...APP_IMAGE }],
      activeDeadline: Duration.hours(1),
    });
  }
}
