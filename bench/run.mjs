// npm run bench [-- --only copy,train_engine]: builds bench/ with Vite, serves it on 127.0.0.1, opens it
// in Debian's Chromium with WebGPU (Playwright), and prints every row the page measures. One browser run
// for all rows, so every figure comes from the same browser, adapter and moment.
import { build, preview } from 'vite';
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : null;
const TIMEOUT_MS = 30 * 60 * 1000;
// Cross-origin isolated, so ONNX Runtime Web may use wasm threads (SharedArrayBuffer), as WebGPU on
// SwiftShader uses every core.
const CROSS_ORIGIN_ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// keepNames: the DSL and prepare look classes up by name (fused modules), as in the app's vite.config.ts.
const config = {
  root,
  base: './',
  configFile: false,
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000, rolldownOptions: { output: { keepNames: true } } },
};
await build(config);
const server = await preview({ ...config, preview: { host: '127.0.0.1', port: 4188, strictPort: false, headers: CROSS_ORIGIN_ISOLATED } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith('[bench] ')) console.log(text.slice(8));
    else if (msg.type() === 'error') console.error(`page error: ${text}`);
  });
  page.on('pageerror', (e) => console.error(`page exception: ${e.message}`));
  await page.goto(`${url}${only ? `?only=${encodeURIComponent(only)}` : ''}`);
  await page.waitForFunction(() => window.__bench?.done === true, undefined, { timeout: TIMEOUT_MS, polling: 1000 });
  const state = await page.evaluate(() => window.__bench);
  console.log('');
  const width = Math.max(...state.rows.map((r) => r.label.length));
  for (const r of state.rows) {
    const value = r.unit === '×' ? r.value.toFixed(2) : r.value.toFixed(1);
    console.log(`${r.label.padEnd(width)}  ${value.padStart(9)} ${r.unit.padEnd(9)} ${r.note ?? ''}`);
  }
  if (state.error) {
    console.error(`\nbench failed: ${state.error}`);
    failed = true;
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
