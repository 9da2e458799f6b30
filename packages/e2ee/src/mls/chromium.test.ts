// The MLS + SFrame stack in real headless Chromium (WebCrypto, ts-mls, protobuf wire mapping): the same code the
// client SDK runs in a page. Bundled with esbuild, served from 127.0.0.1 (a secure context for WebCrypto).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

interface Result {
  done: boolean;
  error?: string;
  epochs?: string[];
  codes?: string[];
  plaintextOk?: boolean;
  senderOk?: boolean;
  removedDropped?: boolean;
  errors?: number;
}

test(
  'headless Chromium: three members through the DS over protobuf, frames decrypt, codes match, removal drops',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`, timeout: 120_000 },
  async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./testing/browser-entry.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['source'],
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]?.text ?? '';
    assert.ok(js.length > 0);
    const server = http.createServer((req, res) => {
      if (req.url === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(js);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><script type="module" src="/app.js"></script>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(
        () => (window as unknown as { __result?: { done?: boolean } }).__result?.done === true,
        null,
        { timeout: 100_000 },
      );
      const result = await page.evaluate(() => (window as unknown as { __result: Result }).__result);
      assert.equal(result.error, undefined);
      assert.equal(result.errors, 0);
      assert.equal(result.plaintextOk, true);
      assert.equal(result.senderOk, true);
      assert.equal(result.removedDropped, true);
      assert.deepEqual(result.epochs, ['3', '3']);
      const codes = result.codes ?? [];
      assert.equal(codes.length, 3);
      assert.equal(new Set(codes).size, 1);
      assert.match(codes[0] ?? '', /^\d{5}( \d{5}){5}$/);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  },
);
