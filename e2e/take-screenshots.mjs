// Takes the README's screenshot of the real page: builds nothing, serves dist/ with `vite preview` on
// 127.0.0.1:4174, waits for the adapter, the editor and the dataset, and writes docs/screenshot.png.
// Usage: npm run build && node e2e/take-screenshots.mjs
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from '@playwright/test';

const PORT = 4174;
const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
  stdio: 'ignore',
});
try {
  const url = `http://127.0.0.1:${PORT}/`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      if (i > 100) throw new Error(`vite preview did not answer at ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('[data-testid="gpu.status"][data-state="ready"]');
  await page.waitForSelector('[data-testid="editor.surface"][data-state="ready"]');
  await page.waitForSelector('[data-testid="dataset.status"][data-state="ready"]', { timeout: 60_000 });
  await page.waitForTimeout(1000);
  mkdirSync('docs', { recursive: true });
  await page.screenshot({ path: 'docs/screenshot.png' });
  await browser.close();
  console.log('wrote docs/screenshot.png');
} finally {
  server.kill();
}
