// A Job with its own sidecars beside Istio's proxy: a log shipper without any stop endpoint
// (stopped by a done file on the shared volume once the main container ends) and a Cloud SQL
// Auth Proxy stopped by its --quitquitquit endpoint, which the main container also waits for.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpMethod, Mesh, MeshJob } from '../src';
import { APP_IMAGE, CLOUD_SQL_PROXY, FLUENT_BIT } from './images';

export class JobSidecarsChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'month-end', {
      mesh: Mesh.istio(),
      containers: [{ name: 'month-end', image: 'registry.example.com/ledger:5.2', command: ['/ledger'], args: ['month-end'], ...APP_IMAGE }],
      sidecars: [
        {
          name: 'logs',
          image: 'fluent/fluent-bit:3.1',
          ...FLUENT_BIT,
          command: ['/fluent-bit/bin/fluent-bit'],
          args: ['-c', '/fluent-bit/etc/fluent-bit.conf'],
        },
        {
          name: 'cloud-sql-proxy',
          image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0',
          ...CLOUD_SQL_PROXY,
          args: ['--quitquitquit', '--health-check', '--http-port=9090', 'example:europe-west1:ledger'],
          quitRequest: { url: 'http://localhost:9091/quitquitquit', method: HttpMethod.POST },
          readinessUrl: 'http://localhost:9090/startup',
        },
      ],
      activeDeadline: Duration.hours(3),
    });
  }
}
