// A Job whose pod also gets a Cloud SQL Auth Proxy sidecar (injected by the Cloud SQL Proxy
// Operator with its admin server on 9091 and the QuitQuitQuit API enabled). After the command
// ends, the wrapper asks the Cloud SQL proxy to quit, then stops Istio's proxy.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpMethod, Mesh, MeshJob, SidecarLifecycle } from '../src';
import { APP_IMAGE } from './images';

export class CloudSqlProxyChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'ledger-close', {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({
        extraQuitRequests: [{ url: 'http://localhost:9091/quitquitquit', method: HttpMethod.POST }],
      }),
      containers: [{ name: 'close', image: 'registry.example.com/ledger:5.2', command: ['/ledger'], args: ['close-day'], ...APP_IMAGE }],
      podMetadata: { labels: { 'cloudsql.example.com/instance': 'ledger' } },
      activeDeadline: Duration.hours(1),
    });
  }
}
