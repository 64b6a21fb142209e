// Takes the README's screenshots of the real page: serves dist/ with `vite preview` on 127.0.0.1:4174,
// runs the journey on a small subset through window.qatPlayground, and writes docs/*.png:
//   screenshot.png  every stage done, the accuracy of each model side by side
//   training.png    QAT running: progress, images/s, ETA, live charts
//   graph.png       the residual example, fused and prepared, with dtypes on the edges
//   layers.png      the per-layer table after fixed-point evaluation
//   sensitivity.png the sensitivity table and bars of the reference CNN, with the mixed-precision choice
//   errors.png      a syntax error as a marker and a message
// Usage: npm run build && node e2e/take-screenshots.mjs
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from '@playwright/test';

const PORT = 4174;
const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
  stdio: 'ignore',
});
const shot = async (page, name) => {
  await page.waitForTimeout(700);
  await page.screenshot({ path: `docs/${name}.png` });
  console.log(`wrote docs/${name}.png`);
};
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
  mkdirSync('docs', { recursive: true });

  await page.evaluate(() => window.qatPlayground.setSettings({ trainSubset: 2048, testSubset: 1000 }));
  await page.evaluate(() => window.qatPlayground.run('float', { epochs: 2 }));
  await page.evaluate(() => window.qatPlayground.run('calibration', { calibrationBatches: 10 }));

  // QAT while it trains.
  await page.getByTestId('results.tab.training').click();
  const qat = page.evaluate(() => window.qatPlayground.run('qat', { epochs: 2 }));
  await page.waitForFunction(() => (window.qatPlayground.state().stages.qat.fraction ?? 0) > 0.8, null, { timeout: 240_000 });
  await page.getByTestId('stage.qat').scrollIntoViewIfNeeded();
  await shot(page, 'training');
  await qat;

  for (const stage of ['convert', 'fixed', 'check', 'compile']) await page.evaluate((s) => window.qatPlayground.run(s), stage);

  await page.getByTestId('results.tab.accuracy').click();
  await page.locator('.side-panel').evaluate((el) => el.scrollTo(0, 0));
  await shot(page, 'screenshot');

  await page.getByTestId('results.tab.layers').click();
  await page.getByTestId('results').scrollIntoViewIfNeeded();
  await shot(page, 'layers');

  await page.evaluate(() => window.qatPlayground.run('sensitivity', { sqnrImages: 16, calibrationBatches: 4 }));
  await page.getByTestId('results.tab.sensitivity').click();
  await page.getByTestId('results').scrollIntoViewIfNeeded();
  await shot(page, 'sensitivity');

  const model = await page.evaluate(() => window.qatPlayground.getSource('model.ts'));
  await page.evaluate((text) => window.qatPlayground.setSource('model.ts', text.replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1;')), model);
  await page.evaluate(() => window.qatPlayground.checkCode());
  await page.getByTestId('results.tab.graph').click();
  await page.locator('.side-panel').evaluate((el) => el.scrollTo(0, 0));
  await shot(page, 'errors');
  await page.evaluate((text) => window.qatPlayground.setSource('model.ts', text), model);

  // The graph of the residual example: the skip connections and the fused conv-bn-add-relu.
  await page.evaluate(() => window.qatPlayground.loadExample('residual'));
  await page.evaluate(() => window.qatPlayground.checkCode());
  await page.getByTestId('results.tab.graph').click();
  await page.getByTestId('results').scrollIntoViewIfNeeded();
  await shot(page, 'graph');
  await page.evaluate(() => window.qatPlayground.loadExample('reference_cnn'));
  await browser.close();
} finally {
  server.kill();
}
