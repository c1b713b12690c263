import { ContainerStatus, terminationsOf } from './pod';
import { WrapperReason } from '../runtime/exit-codes';
import { WRAPPER_ARGV0 } from '../runtime/layout';

export { WrapperReason };

// The line the wrapper writes to its container's termination message when it ends the container
// for its own reason or leaves the proxy running (src/runtime/wrapper.sh):
//   meshjob: <reason>: <details>
// The kubelet copies the file at the container's terminationMessagePath into
// containerStatuses[].state.terminated.message (and, after a restart, lastState.terminated.message).
// The wrapper writes only when the command wrote nothing there, so the line is read wherever it
// stands in the message.

const REASONS = new Set<string>(Object.values(WrapperReason));
const LINE = new RegExp(`^${WRAPPER_ARGV0}: ([a-z-]+): (.*)$`);

/** One wrapper line read back from a container's status. */
export interface WrapperMessage {
  readonly reason: WrapperReason;
  readonly details: string;
  /** When the container that wrote it ended. */
  readonly finishedAt?: string;
  readonly exitCode?: number;
}

/** The wrapper's line in one termination message, if it holds one. */
export function parseWrapperMessage(message: string | undefined): { reason: WrapperReason; details: string } | undefined {
  for (const line of (message ?? '').split('\n')) {
    const m = LINE.exec(line.trim());
    if (m && REASONS.has(m[1])) return { reason: m[1] as WrapperReason, details: m[2] };
  }
  return undefined;
}

/** The wrapper lines of a container's current and previous terminations, newest first. */
export function wrapperMessagesOf(status: ContainerStatus | undefined): WrapperMessage[] {
  return terminationsOf(status).flatMap((t) => {
    const parsed = parseWrapperMessage(t.message);
    return parsed ? [{ ...parsed, finishedAt: t.finishedAt, exitCode: t.exitCode }] : [];
  });
}
