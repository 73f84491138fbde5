import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium the browser tests drive: STEERLM_CHROMIUM (as scripts/install-chromium.sh tells users to set), else Debian's. */
export function chromiumPath(environment: NodeJS.ProcessEnv = process.env): string {
  return environment.STEERLM_CHROMIUM || '/usr/bin/chromium';
}

/** The Chromium of this run. */
export const CHROMIUM = chromiumPath();

/**
 * Whether the browser tests run: skipped only on a developer machine without Chromium; in CI (CI=true),
 * or when STEERLM_CHROMIUM names one, a missing Chromium fails (the launch throws) rather than skips.
 */
export const RUN_IN_CHROMIUM = existsSync(CHROMIUM) || process.env.CI === 'true' || Boolean(process.env.STEERLM_CHROMIUM);

/** The reason a browser test gives when it skips. */
export const NO_CHROMIUM = `no Chromium at ${CHROMIUM} (run scripts/install-chromium.sh, or set STEERLM_CHROMIUM to a Chromium executable)`;

/** Launches the headless Chromium of this run, offline (no background networking), with `args` added. */
export function launchHeadlessChromium(args: readonly string[] = ['--disable-gpu']): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...args],
  });
}
