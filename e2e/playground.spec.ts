import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

test.describe('the playground page', () => {
  let app: PlaygroundPage;
  const pageErrors: string[] = [];

  test.beforeEach(async ({ page }) => {
    pageErrors.length = 0;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    app = new PlaygroundPage(page);
  });

  test.afterEach(() => {
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  test('loads and shows the WebGPU adapter the worker opened', async () => {
    await app.goto();
    await expect(app.gpuStatus).toHaveAttribute('data-state', 'ready');
    await expect(app.gpuVendor).not.toBeEmpty();
    await expect(app.gpuArchitecture).not.toBeEmpty();
    const state = await app.state();
    if (state.gpu.status !== 'ready') throw new Error(`expected a GPU, got ${JSON.stringify(state.gpu)}`);
    await expect(app.gpuVendor).toHaveText(state.gpu.vendor);
    await expect(app.gpuArchitecture).toHaveText(state.gpu.architecture);
    await expect(app.headerAdapter).toHaveText(`${state.gpu.vendor} · ${state.gpu.architecture}`);
  });

  test('asks nothing of the network beyond 127.0.0.1 (Monaco and its workers are bundled)', async ({ page }) => {
    const outside: string[] = [];
    page.context().on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.hostname !== '127.0.0.1') outside.push(request.url());
    });
    await app.goto();
    await app.waitForEditor();
    await app.openFile('qconfig.ts');
    await app.waitForDataset('ready');
    await expect(app.gpuStatus).toHaveAttribute('data-state', 'ready');
    expect(outside).toEqual([]);
  });

  test('shows model.ts and qconfig.ts in the editor, switched by tab and by shortcut', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    await expect(app.tab('model.ts')).toHaveAttribute('aria-selected', 'true');
    await expect(app.editorText).toContainText('export default class Net extends nn.Module');
    await expect(app.editorText).toContainText('new nn.Conv2d(1, 16, 3, { padding: 1 })');

    await app.openFile('qconfig.ts');
    await expect(app.editorText).toContainText('default_qat_qconfig_setter');
    await expect(app.editorText).not.toContainText('class Net');

    await page.keyboard.press('Alt+1');
    await expect(app.tab('model.ts')).toHaveAttribute('aria-selected', 'true');
    await expect(app.editorText).toContainText('class Net');
    await page.keyboard.press('Alt+2');
    await expect(app.tab('qconfig.ts')).toHaveAttribute('aria-selected', 'true');
  });

  test('keeps the editor and the store in step both ways', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    await app.editorText.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// edited in the page');
    await expect.poll(() => app.getSource('model.ts')).toContain('// edited in the page');

    await page.evaluate(() => window.qatPlayground!.setSource('model.ts', '// replaced through window.qatPlayground\n'));
    await expect(app.editorText).toContainText('replaced through window.qatPlayground');
    await expect(app.editorText).not.toContainText('class Net');
  });

  test('type-checks the editor files against the DSL declarations', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    const original = await app.getSource('model.ts');
    const errors = app.editor.locator('.squiggly-error');
    await page.evaluate(
      (text) => window.qatPlayground!.setSource('model.ts', `export const wrong = new nn.Conv2d("one", 16, 3);\n${text}`),
      original,
    );
    await expect(errors.first()).toBeVisible();
    await page.evaluate((text) => window.qatPlayground!.setSource('model.ts', text), original);
    await expect(errors).toHaveCount(0);
  });

  test('streams the dataset with a progress bar and shows 10+ labelled sample images', async ({ page }) => {
    // Hold the big file back a moment so the progress bar can be seen part-way (the test set is in).
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/train-images-idx3-ubyte.gz', async (route) => {
      await held;
      await route.continue();
    });
    await app.goto();
    await expect(app.datasetProgress).toBeVisible();
    await expect.poll(async () => Number(await app.datasetProgress.getAttribute('aria-valuenow'))).toBeGreaterThan(10);
    expect(Number(await app.datasetProgress.getAttribute('aria-valuenow'))).toBeLessThan(100);
    await expect(page.getByTestId('dataset.loading')).toContainText('of 29.4 MiB');
    release();

    await app.waitForDataset('ready');
    const count = await app.samples.count();
    expect(count).toBeGreaterThanOrEqual(10);
    const labels = await app.sampleLabels.allTextContents();
    expect(labels).toHaveLength(count);
    for (const label of labels) expect(CLASSES).toContain(label);
    expect(new Set(labels).size).toBe(10);
    const lit = await app.litPixelsPerSample();
    expect(lit).toHaveLength(count);
    for (const pixels of lit) expect(pixels).toBeGreaterThan(50);

    const state = await app.state();
    expect(state.dataset).toMatchObject({ status: 'ready', train: 60000, test: 10000, error: null, fromCache: false });
    expect(state.dataset.loadedBytes).toBe(state.dataset.totalBytes);
    expect(state.dataset.totalBytes).toBe(30_878_551);
    await expect(app.page.getByTestId('dataset.train.count')).toHaveText('60,000');
    await expect(app.page.getByTestId('dataset.summary')).toContainText('(x − 0.2860) / 0.3530');
  });

  test('reads the dataset from the cache after a reload', async ({ page }) => {
    await app.goto();
    await app.waitForDataset('ready');
    await expect(app.datasetSource).toContainText('downloaded');
    const fetched: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('.gz')) fetched.push(request.url());
    });
    await page.reload();
    await app.waitForDataset('ready');
    await expect(app.datasetSource).toContainText('cache');
    expect(fetched).toEqual([]);
    expect(await app.samples.count()).toBeGreaterThanOrEqual(10);
  });
});
