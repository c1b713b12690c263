// A nightly CronJob in an Istio mesh: runs do not pile up, because each pod stops its proxy.
import { Chart, Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class IstioCronJobChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'nightly', {
      mesh: Mesh.istio(),
      schedule: Cron.daily(),
      timeZone: 'Europe/Paris',
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      containers: [{
        name: 'export',
        image: 'registry.example.com/export:2.0',
        ...APP_IMAGE,
        command: ['/usr/local/bin/export'],
        args: ['--bucket', 's3://reports/$(DATE)'],
        envVariables: { DATE: kplus.EnvValue.fromValue('today') },
      }],
      backoffLimit: 1,
      activeDeadline: Duration.hours(1),
    });
  }
}
