import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';

/**
 * The journey through the page on a small subset: edit the code, then each stage the build has, with
 * the mouse. Stages without a backend in this build are checked to say so (see the pipeline panel).
 */
test.describe('the journey through the page', () => {
  test.describe.configure({ timeout: 300_000 });
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

  test('float training keeps the page responsive (no main-thread task over 50 ms), charts live, and survives a reload', async ({ page }) => {
    // Long tasks of the main thread that start and end while the float stage runs (between the
    // render that shows it running and the one that shows it done).
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __running: number[] };
      w.__longTasks = [];
      w.__running = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.__longTasks.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type: 'longtask', buffered: false });
      new MutationObserver((mutations) => {
        for (const m of mutations) {
          const target = m.target as HTMLElement;
          if (target.dataset.testid === 'stage.float' && m.attributeName === 'data-state') w.__running.push(performance.now());
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await app.goto();
    await app.waitForEditor();
    await app.waitForDataset('ready');
    await expect(page.getByTestId('gpu.status')).toHaveAttribute('data-state', 'ready');

    // Edit the code: no bias in the first conv (the float result must come from this code).
    const model = (await app.getSource('model.ts')).replace('new nn.Conv2d(1, 16, 3, { padding: 1 })', 'new nn.Conv2d(1, 16, 3, { padding: 1, bias: false })');
    await app.setSource('model.ts', model);
    // Settings through the form, as a person would.
    for (const [key, value] of [['trainSubset', '512'], ['testSubset', '256']] as const) {
      await page.getByTestId(`setting.data.${key}`).fill(value);
      await page.getByTestId(`setting.data.${key}`).press('Enter');
    }
    await page.getByTestId('stage.float.settings').click();
    await page.getByTestId('setting.float.epochs').fill('1');
    await page.getByTestId('setting.float.epochs').press('Enter');
    expect((await app.state()).settings).toMatchObject({ data: { trainSubset: 512, testSubset: 256 }, float: { epochs: 1 } });

    await app.resultsTab('training').click();
    await app.runButton('float').click();
    await expect(app.stage('float')).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('stage.float.progress.text')).toContainText('img/s', { timeout: 120_000 });
    await expect(app.stage('float')).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
    const { longTasks, window: span } = await page.evaluate(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __running: number[] };
      // The first change is to 'running', the last to 'done'.
      const from = w.__running[0]!;
      const to = w.__running[w.__running.length - 1]!;
      return { longTasks: w.__longTasks.filter((t) => t.start > from && t.start + t.duration < to), window: to - from };
    });
    expect(span).toBeGreaterThan(1000);
    expect(longTasks.map((t) => Math.round(t.duration)), 'main-thread tasks over 50 ms while training').toEqual([]);

    const state = await app.state();
    const accuracy = state.stages.float.accuracy!;
    expect(accuracy).toBeGreaterThan(0.35);
    expect(state.stages.float.imagesPerSecond).toBeGreaterThan(0);
    await expect(page.getByTestId('stage.float.summary')).toContainText('test accuracy');
    expect(Number(await page.getByTestId('training.chart.loss').getAttribute('data-points'))).toBeGreaterThan(0);
    await app.resultsTab('accuracy').click();
    await expect(page.getByTestId('accuracy.float')).toHaveText(`${(accuracy * 100).toFixed(2)} %`);
    await expect(page.getByTestId('accuracy.float.bytes')).toHaveAttribute('title', `${(20_570 * 4).toLocaleString('en-US')} bytes`);

    // A histogram of the trained weights.
    await app.resultsTab('histogram').click();
    await expect(page.getByTestId('histogram.chart')).toBeVisible();

    // Reload: the result, its chart and its weights are still there.
    await page.waitForTimeout(400);
    await page.reload();
    await app.waitForEditor();
    await expect(app.stage('float')).toHaveAttribute('data-state', 'done');
    expect((await app.state()).stages.float.accuracy).toBe(accuracy);
    await app.resultsTab('histogram').click();
    await expect(page.getByTestId('histogram.chart')).toBeVisible();

    // An edit makes it stale; undoing the edit makes it current again.
    await app.setSource('model.ts', `${model}\n// later`);
    await expect(app.stage('float')).toHaveAttribute('data-state', 'stale');
    await app.setSource('model.ts', model);
    await expect(app.stage('float')).toHaveAttribute('data-state', 'done');
  });
});
