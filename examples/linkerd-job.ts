// A Job in a Linkerd mesh: waits for :4191/ready, stops the proxy with POST :4191/shutdown, and
// turns that endpoint on (config.linkerd.io/proxy-admin-shutdown), which Linkerd >= 2.16 needs.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob } from '../src';
import { APP_IMAGE } from './images';

export class LinkerdJobChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'reindex', {
      mesh: Mesh.linkerd(),
      containers: [{ name: 'reindex', image: 'registry.example.com/search:7.2', command: ['/reindex'], args: ['--all'], ...APP_IMAGE }],
      backoffLimit: 2,
      activeDeadline: Duration.hours(1),
    });
  }
}
