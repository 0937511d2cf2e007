import { existsSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { Figure } from './plots';

/** Chromium builds we know how to find; CHROMIUM_PATH overrides. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p));
}

/** plotly.js's minified cartesian build (1.3 MB, a quarter of the full minified one): it has every trace type the
 *  notebook draws, scatter and heatmap, and is embedded once in each notebook and report (docs/dependencies.md). */
export function plotlyBundle(): string {
  return readFileSync(require.resolve('plotly.js-cartesian-dist-min'), 'utf8');
}

let page: Promise<{ browser: Browser; page: Page }> | undefined;

/** A PNG of a figure, drawn by plotly.js itself in headless Chromium (one browser per process, opened on first use),
 *  so static images match the interactive charts. Undefined when no Chromium is installed. */
export async function renderPng(figure: Figure): Promise<Buffer | undefined> {
  const executablePath = chromiumPath();
  if (!executablePath) return undefined;
  page ??= openPage(executablePath);
  const { page: p } = await page;
  const dataUrl = await p.evaluate(
    ({ data, layout }) => (globalThis as unknown as { Plotly: { toImage(f: object, o: object): Promise<string> } })
      .Plotly.toImage({ data, layout }, { format: 'png', width: layout.width ?? 900, height: layout.height ?? 500, scale: 1 }),
    figure as { data: object[]; layout: Record<string, number> },
  );
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

/** A PNG of an HTML page's element `selector`, drawn by headless Chromium once the element is there (the same browser
 *  as the charts'). Undefined when no Chromium is installed. */
export async function renderHtmlPng(html: string, selector: string): Promise<Buffer | undefined> {
  const executablePath = chromiumPath();
  if (!executablePath) return undefined;
  page ??= openPage(executablePath);
  const { browser } = await page;
  const p = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  try {
    await p.setContent(html);
    return await p.locator(selector).screenshot({ timeout: 60000 });
  } finally {
    await p.close();
  }
}

export async function closeRenderer(): Promise<void> {
  const opened = page;
  page = undefined;
  if (opened) await (await opened).browser.close();
}

async function openPage(executablePath: string): Promise<{ browser: Browser; page: Page }> {
  const { chromium } = await import('playwright-core');
  // Playwright's own signal handlers would close the browser and exit the process on SIGINT: in the notebook's kernel
  // that is Jupyter's Interrupt, which must only stop training (lib/run/interrupt.ts). The browser runs in its own
  // process group, so the signal Jupyter sends the kernel's group does not reach it either.
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const p = await browser.newPage();
  await p.setContent('<html><body></body></html>');
  await p.addScriptTag({ content: plotlyBundle() });
  // Do not keep the process alive for the browser alone: a CLI or a kernel ends when its work is done.
  process.once('exit', () => void browser.close());
  return { browser, page: p };
}
