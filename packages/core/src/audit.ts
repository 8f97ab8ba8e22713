import type { LatchkeyEvent } from './events';

/** Sends one audit event to the app's hook. */
export type Emit = (event: LatchkeyEvent) => void;

/** The app's `onEvent` hook, made safe to call: a hook that throws never breaks a request. */
export function auditEmitter(onEvent: (event: LatchkeyEvent) => void): Emit {
  return (event) => {
    try {
      onEvent(event);
    } catch {
      // An audit hook must not break sign-in.
    }
  };
}
