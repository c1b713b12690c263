// The examples as one cdk8s app, for `cdk8s synth --format helm` (npx projen examples:helm):
// every chart becomes a template of one Helm chart in examples/dist/helm/.
import { App } from 'cdk8s';
import { EXAMPLES } from './index';

const app = new App();
for (const [name, ChartClass] of Object.entries(EXAMPLES)) {
  new ChartClass(app, name);
}
app.synth();
