// Headless Chromium from Debian with fake camera and microphone (flags from /work/shared/notes/webtransport.md).
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--auto-select-desktop-capture-source=Entire screen',
];

/** `extra` flags replace a default of the same name (e.g. `--use-fake-device-for-media-stream=device-count=2`). */
export function launchChromium(extra: readonly string[] = []): Promise<Browser> {
  const names = new Set(extra.map((f) => f.split('=')[0]));
  const args = [...CHROMIUM_FLAGS.filter((f) => !names.has(f.split('=')[0])), ...extra];
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** test-results/<name>/ under the repository root. */
export function resultsDir(name: string): string {
  const dir = new URL(`../../../../test-results/${name}/`, import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Closes the browser, giving up after `ms` (a browser that hangs on close would otherwise keep a test file from
 * finishing its cleanup: the servers it started stay up and the file never exits).
 */
export async function closeBrowser(browser: Browser, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    browser.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
