// What the kubelet does to a container's command before the wrapper sees it.

/**
 * Escapes a string for a container's `command` or `args`, where the kubelet replaces `$(NAME)`
 * with the variable's value and `$$` with `$` (kubernetes third_party/forked/golang/expansion).
 */
export function escapeKubeletExpansion(value: string): string {
  return value.replace(/\$(?=[$(])/g, '$$$$');
}

/** The kubelet's default `terminationMessagePath` (core/v1 Container). */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
