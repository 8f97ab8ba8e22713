import { ACR_MFA, ACR_PWD } from './config';

/**
 * An epoch-seconds time as `2025-01-31 14:05:09 UTC`. The same text on the server and in the
 * browser, whatever their time zones, so that hydration matches.
 */
export function formatTime(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The machine-readable form for `<time dateTime>`. */
export function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

/** A person's words for an authentication level, reached with the methods in `amr`. */
export function describeAcr(acr: string | null, amr: readonly string[] = []): string {
  if (amr.includes('hwk') || amr.includes('swk')) return 'passkey';
  if (acr === ACR_MFA) return 'password and one-time code';
  if (acr === ACR_PWD) return 'password';
  return acr === null ? 'unknown' : 'other';
}
