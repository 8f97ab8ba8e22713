import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

// Headless Chromium for the suites that drive a real browser (the demo's e2e, the docs site).

/** The Chromium the suites drive: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** True under CI (`CI` set to anything but `''`, `0` or `false`), where a missing browser fails. */
const inCi = ((ci) => ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false')(
  process.env.CI,
);

/**
 * Why a browser suite cannot run here, or `undefined` when it can, printed once when there is a
 * reason. Outside CI a missing Chromium skips the suite; under CI the suite runs and
 * {@link launchChromium} fails.
 */
export function chromiumSkipReason(suite: string): string | undefined {
  if (existsSync(chromiumPath) || inCi) return undefined;
  const reason = `no Chromium at ${chromiumPath} (set CHROMIUM_PATH, or apt-get install chromium)`;
  console.warn(`[${suite}] Browser tests are skipped: ${reason}.`);
  return reason;
}

/** Starts headless Chromium; under CI without one, fails with what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `CI is set and there is no Chromium at ${chromiumPath}: install Debian's chromium package or set CHROMIUM_PATH.`,
    );
  }
  // Loaded here: suites that never start a browser do not load playwright.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
