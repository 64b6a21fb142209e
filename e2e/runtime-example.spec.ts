import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

/**
 * The standalone runtime's example page (examples/runtime/): the sample compiled model (a QAT'd
 * reference CNN, public/examples/reference_cnn.qatm) on WebGPU and on the CPU, and a broken file.
 */
type ExampleState = {
  loaded: boolean;
  backend: string | null;
  result: { accuracy: number; images: number; imagesPerSecond: number; predictions: number[] } | null;
  error: string | null;
};

const state = (page: Page) => page.evaluate(() => (window as unknown as { qatmExample: ExampleState }).qatmExample);

async function runSample(page: Page, backend: 'webgpu' | 'cpu', images: number): Promise<ExampleState> {
  await page.getByTestId('runtime.backend').selectOption(backend);
  await page.getByTestId('runtime.sample').click();
  await expect.poll(async () => (await state(page)).loaded).toBe(true);
  expect((await state(page)).backend).toBe(backend);
  await page.getByTestId('runtime.count').fill(String(images));
  await page.getByTestId('runtime.run').click();
  await expect(page.getByTestId('runtime.status')).toContainText('accuracy', { timeout: 90_000 });
  return state(page);
}

test.describe('runtime example page', () => {
  test('runs the sample .qatm on WebGPU and on the CPU with the same predictions', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('examples/runtime/index.html');
    const gpu = await runSample(page, 'webgpu', 200);
    expect(gpu.result!.images).toBe(200);
    expect(gpu.result!.accuracy).toBeGreaterThan(0.7);
    await expect(page.getByTestId('runtime.info')).toContainText('march');
    await expect(page.getByTestId('runtime.grid').locator('canvas')).toHaveCount(16);
    const cpu = await runSample(page, 'cpu', 200);
    expect(cpu.result!.predictions).toEqual(gpu.result!.predictions);
    expect(cpu.result!.accuracy).toBe(gpu.result!.accuracy);
    expect(errors).toEqual([]);
  });

  test('a corrupt file is refused with a message that says why', async ({ page }) => {
    await page.goto('examples/runtime/index.html');
    const bytes = readFileSync('public/examples/reference_cnn.qatm');
    bytes[bytes.length - 20] ^= 0xff;
    await page.getByTestId('runtime.file').setInputFiles({ name: 'broken.qatm', mimeType: 'application/octet-stream', buffer: bytes });
    await expect(page.getByTestId('runtime.status')).toContainText('checksum mismatch');
    await expect(page.getByTestId('runtime.run')).toBeDisabled();
  });
});
