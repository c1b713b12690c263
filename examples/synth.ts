// Renders every example to examples/dist/<name>.k8s.yaml: `npx projen examples`.
import * as path from 'path';
import { App } from 'cdk8s';
import { EXAMPLES } from './index';

const app = new App({ outdir: path.join(__dirname, 'dist') });
for (const [name, ChartClass] of Object.entries(EXAMPLES)) {
  new ChartClass(app, name);
}
app.synth();
for (const name of Object.keys(EXAMPLES)) {
  console.log(`examples/dist/${name}.k8s.yaml`);
}
