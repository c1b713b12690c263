import { ApiObject } from 'cdk8s';

/**
 * Edits an API object's JSON each time cdk8s asks for it (`App.synth`, `Testing.synth`,
 * `Chart.toJson`), after the object's own rendering and JSON patches: the hook through which a
 * plan reaches a Job that cdk8s-plus (of any line) or anyone else rendered. A second hook wraps the
 * first. @internal
 */
export function editAtSynth(obj: ApiObject, edit: (json: any) => void): void {
  const render = obj.toJson.bind(obj);
  Object.defineProperty(obj, 'toJson', {
    configurable: true,
    value: () => {
      const json = render();
      edit(json);
      return json;
    },
  });
}
