/**
 * Authentication levels (`acr`): the configured levels are ordered lowest first, and a higher
 * level satisfies a lower requirement. The server's step-up checks and `@latchkey/react` share
 * this rule.
 */

/**
 * True when `actual` ranks at or above `required` in `levels` (lowest first). An unknown level,
 * on either side, satisfies only an exact match; no level satisfies nothing.
 */
export function acrSatisfies(
  actual: string | null | undefined,
  required: string,
  levels: readonly string[],
): boolean {
  if (actual === required) return true;
  const need = levels.indexOf(required);
  return need !== -1 && levels.indexOf(actual as string) >= need;
}
