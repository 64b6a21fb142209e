// Int8 fixed-point inference in one Chromium run: this project's WebGPU executor vs ONNX Runtime Web (wasm)
// on the same reference-CNN integer model (bench/fixed_page.ts). Prints images/s of both and the ratio.
//   node bench/fixed_run.mjs [--batch 256] [--seconds 5]
import { createServer } from 'vite';
import { chromium } from '@playwright/test';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const server = await createServer({ server: { host: '127.0.0.1', port: 0 }, logLevel: 'error', clearScreen: false });
await server.listen();
const { port } = server.httpServer.address();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
  await page.goto(`http://127.0.0.1:${port}/bench/fixed.html?batch=${arg('batch', '256')}&seconds=${arg('seconds', '5')}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600_000, polling: 500 });
  const r = await page.evaluate(() => window.benchResult);
  if (r.error) throw new Error(r.error);
  console.log(`adapter: ${r.adapter}`);
  console.log(`int8 fixed-point inference, reference CNN, batch ${r.ours.batch}`);
  console.log(`  QAT Playground (WebGPU, ${r.ours.dot} dot):  ${r.ours.imagesPerSecond.toFixed(0)} images/s`);
  console.log(`  ONNX Runtime Web (wasm, ${r.ort.threads} thread(s), ${r.ort.style}): ${r.ort.imagesPerSecond.toFixed(0)} images/s`);
  console.log(`  ratio: ${r.ratio.toFixed(2)}x`);
} finally {
  await browser.close();
  await server.close();
}
