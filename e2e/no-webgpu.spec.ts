import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';

// Runs in the 'no-webgpu' project: the same Chromium without --enable-unsafe-webgpu, so no adapter.
test('without WebGPU the page says why and what still works, and the rest of it works', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.goto();
  await expect(app.gpuStatus).toHaveAttribute('data-state', 'unavailable');
  await expect(app.gpuMessage).toContainText('No WebGPU adapter.');
  await expect(app.gpuMessage).toContainText('--enable-unsafe-webgpu');
  await expect(app.gpuMessage).toContainText('Still working here: editing model.ts and qconfig.ts, and browsing the dataset.');
  await expect(app.headerAdapter).toHaveText('no WebGPU');

  await app.waitForEditor();
  await app.openFile('qconfig.ts');
  await expect(app.editorText).toContainText('default_qat_qconfig_setter');
  await app.waitForDataset('ready');
  expect(await app.samples.count()).toBeGreaterThanOrEqual(10);
});
