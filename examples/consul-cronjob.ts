// A CronJob in a Consul service mesh: waits for Envoy's 127.0.0.1:19000/ready, stops
// consul-dataplane with POST 127.0.0.1:20600/graceful_shutdown, with no shutdown grace period.
import { Chart, Cron, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class ConsulCronJobChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'billing-close', {
      mesh: Mesh.consul(),
      schedule: Cron.schedule({ minute: '15', hour: '2' }),
      containers: [{ name: 'close', image: 'registry.example.com/billing:4.0', command: ['/billing'], args: ['close'], ...APP_IMAGE }],
      activeDeadline: Duration.hours(1),
    });
  }
}
