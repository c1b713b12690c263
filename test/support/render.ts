import { App, Chart, Testing } from 'cdk8s';
import { podMetadataOf, podSpecOf, validateAll } from './schema';
import { MeshJob, MeshJobProps } from '../../src';

/** A chart to build in, named like a user's. */
export function newChart(): Chart {
  return new Chart(Testing.app(), 'reports');
}

/** Renders one MeshJob, validates the manifests against the schema and returns the Job/CronJob. */
export function renderMeshJob(props: MeshJobProps): { manifest: any; pod: any; podMetadata: any; meshJob: MeshJob } {
  const chart = newChart();
  const meshJob = new MeshJob(chart, 'nightly', props);
  const manifests = validateAll(Testing.synth(chart));
  const manifest = manifests.find((m) => m.kind === 'Job' || m.kind === 'CronJob');
  return { manifest, pod: podSpecOf(manifest), podMetadata: podMetadataOf(manifest), meshJob };
}

/** A container's environment as a plain map. */
export function envOf(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
}

/** Synthesizes a chart in a fresh app, for examples. */
export function synthChart(make: (app: App) => Chart): any[] {
  return validateAll(Testing.synth(make(Testing.app())));
}

/**
 * A wrapped container's wrapper settings (the MESHJOB_* shell assignments passed as the argument
 * after `$0`), kubelet-unescaped, as a plain map.
 */
export function settingsOf(container: any): Record<string, string> {
  const command: string[] = container.command ?? [];
  const at = command.indexOf('meshjob', command.indexOf('-c'));
  if (at < 0) return {};
  const text = command[at + 1].replace(/\$\$/g, '$');
  const settings: Record<string, string> = {};
  const word = /(MESHJOB_\w+)=((?:'[^']*'|\\'|[^\s'\\])*)/g;
  for (const m of text.matchAll(word)) {
    settings[m[1]] = m[2].replace(/'([^']*)'|\\(')/g, (_all, quoted, escaped) => quoted ?? escaped);
  }
  return settings;
}

/** `$0` and the original command of a wrapped container, the settings argument between them left out. */
export function wrappedCommandOf(container: any): string[] {
  const command: string[] = container.command;
  const at = command.indexOf('meshjob', command.indexOf('-c'));
  return [command[at], ...command.slice(at + 2)];
}
