import { chromium, Browser, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../lib/util/paths';
import { CHROMIUM_ARGS, chromiumPath } from '../../lib/views/render';

/** Screenshots for the person reading the test log (git-ignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export async function launch(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium: install Debian\'s chromium (bash .ci/run does)');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

/** What plotly has drawn as SVG in the page: line traces, and heatmaps (digits and the confusion matrix). */
export async function drawnTraces(page: Page): Promise<{ lines: number; heatmaps: number }> {
  return {
    lines: await page.locator('.js-plotly-plot .scatterlayer .trace').count(),
    heatmaps: await page.locator('.js-plotly-plot .heatmaplayer image').count(),
  };
}
