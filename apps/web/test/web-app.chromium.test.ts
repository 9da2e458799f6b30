// The built web app in headless Chromium without a backend: pages render with their labels and test hooks, the
// pre-join preview shows the camera, keyboard users can reach the join button, and a join that cannot reach the
// service says so in words. Screenshots: test-results/web-app/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hasChromium, launchChromium, resultsDir } from './support/chromium.ts';
import { serveStatic } from './support/static-server.ts';

const root = new URL('../', import.meta.url).pathname;

test(
  'landing, pre-join and a failed join render accessibly',
  { skip: hasChromium ? false : 'no Chromium', timeout: 120_000 },
  async () => {
    const out = resultsDir('web-app');
    execFileSync(
      process.execPath,
      [
        new URL('../../../node_modules/vite/bin/vite.js', import.meta.url).pathname,
        'build',
        '--logLevel',
        'warn',
      ],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    await using site = await serveStatic(`${root}dist`, { spa: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${site.url}/`);
      await page.getByRole('heading', { name: 'Dark Tower' }).waitFor();
      await page.getByLabel('Meeting code or link').fill(`${site.url}/m/abc-defg-hij`);
      await page.screenshot({ path: `${out}01-landing.png` });
      await page.getByTestId('join-by-code').click();
      await page.waitForURL(/\/m\/abc-defg-hij$/);
      await page.getByRole('heading', { name: /Join meeting/ }).waitFor();
      // The camera preview plays the fake camera.
      await page.waitForFunction(() => (document.querySelector('video')?.videoWidth ?? 0) > 0, null, {
        timeout: 15_000,
      });
      assert.equal(await page.getByLabel('Your name').getAttribute('data-testid'), 'display-name');
      await page.getByTestId('display-name').fill('Alice');
      await page.screenshot({ path: `${out}02-pre-join.png` });
      // Keyboard: Enter in the name field submits the form (the join button is the form's submit).
      await page.getByTestId('display-name').press('Enter');
      const error = page.getByTestId('join-error');
      await error.waitFor({ timeout: 20_000 });
      await page.waitForFunction(
        () => (document.querySelector('[data-testid="join-error"]')?.textContent ?? '').trim() !== '',
      );
      assert.match((await error.textContent()) ?? '', /No meeting with that code exists/);
      // A failed join keeps the camera for another try.
      assert.ok(
        await page.evaluate(() => {
          const stream = document.querySelector('video')?.srcObject;
          return stream instanceof MediaStream && stream.getTracks().every((t) => t.readyState === 'live');
        }),
      );
      await page.screenshot({ path: `${out}03-join-error.png` });
      await page.goto(`${site.url}/signin`);
      await page.getByLabel('Username').waitFor();
      await page.getByLabel('Password').waitFor();
      await page.screenshot({ path: `${out}04-sign-in.png` });
    } finally {
      await browser.close();
    }
  },
);
