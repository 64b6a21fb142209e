import { statSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';
import type { StageName } from '../src/pipeline/types';

/**
 * The journey through the page on a small subset, with the mouse: edit the code, set the sizes, then
 * float → calibration → (reload) → QAT → convert → fixed → check → compile/export, downloading the files.
 */

/** Long tasks of the main thread, and when the float stage's row changed state (running, done). */
function observeMainThread(page: Page) {
  return page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __floatStates: { state: string; at: number }[] };
    w.__longTasks = [];
    w.__floatStates = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: false });
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        const target = m.target as HTMLElement;
        if (target.dataset.testid === 'stage.float' && m.attributeName === 'data-state') w.__floatStates.push({ state: target.dataset.state ?? '', at: performance.now() });
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
}

/** Main-thread tasks over 50 ms that began and ended while float trained (from the render showing it running to the one showing it done). */
async function longTasksWhileTraining(page: Page): Promise<{ durations: number[]; span: number }> {
  return page.evaluate(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[]; __floatStates: { state: string; at: number }[] };
    const from = w.__floatStates.find((s) => s.state === 'running')!.at;
    const to = w.__floatStates.find((s) => s.state === 'done' && s.at > from)!.at;
    return {
      durations: w.__longTasks.filter((t) => t.start > from && t.start + t.duration < to && t.duration > 50).map((t) => Math.round(t.duration)),
      span: to - from,
    };
  });
}

test.describe('the journey through the page', () => {
  test.describe.configure({ timeout: 420_000 });
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

  test('edit → float → calibration → reload → QAT → convert → check → export, on a small subset', async ({ page }) => {
    await observeMainThread(page);
    await app.goto();
    await app.waitForEditor();
    await app.waitForDataset('ready');
    await expect(page.getByTestId('gpu.status')).toHaveAttribute('data-state', 'ready');

    const run = (stage: StageName, timeout?: number) => app.clickRun(stage, timeout);

    // Edit the code: no bias in the first conv (a BatchNorm follows it), so the result comes from this code.
    const model = (await app.getSource('model.ts')).replace('new nn.Conv2d(1, 16, 3, { padding: 1 })', 'new nn.Conv2d(1, 16, 3, { padding: 1, bias: false })');
    await app.setSource('model.ts', model);
    // Sizes through the forms, as a person would.
    const set = (group: string, key: string, value: string) => app.setField(group, key, value);
    await set('data', 'trainSubset', '512');
    await set('data', 'testSubset', '256');
    await page.getByTestId('stage.float.settings').click();
    await set('float', 'epochs', '1');
    await page.getByTestId('stage.calibration.settings').click();
    await set('calibration', 'calibrationBatches', '4');
    expect((await app.state()).settings).toMatchObject({ data: { trainSubset: 512, testSubset: 256 }, float: { epochs: 1 }, calibration: { calibrationBatches: 4 } });

    await test.step('float training, the page responsive throughout', async () => {
      await app.resultsTab('training').click();
      await run('float');
      const { durations, span } = await longTasksWhileTraining(page);
      expect(span).toBeGreaterThan(1000);
      expect(durations, 'main-thread tasks over 50 ms while float trained').toEqual([]);
      const state = await app.state();
      expect(state.stages.float.accuracy).toBeGreaterThan(0.35);
      expect(state.stages.float.imagesPerSecond).toBeGreaterThan(0);
      expect(Number(await page.getByTestId('training.chart.loss').getAttribute('data-points'))).toBeGreaterThan(0);
      await app.resultsTab('accuracy').click();
      await expect(page.getByTestId('accuracy.float')).toHaveText(`${(state.stages.float.accuracy! * 100).toFixed(2)} %`);
      // 20,570 parameters in float32 (the first conv has no bias now).
      await expect(page.getByTestId('accuracy.float.bytes')).toHaveAttribute('title', `${(20_570 * 4).toLocaleString('en-US')} bytes`);
    });

    await test.step('calibration: scales per layer and the fake-quant accuracy beside float', async () => {
      await run('calibration');
      const state = await app.state();
      expect(state.stages.calibration.accuracy).toBeGreaterThan(state.stages.float.accuracy! - 0.1);
      await expect(page.getByTestId('accuracy.calibration')).toHaveText(`${(state.stages.calibration.accuracy! * 100).toFixed(2)} %`);
      await app.resultsTab('layers').click();
      await expect(page.locator('[data-testid="layers.row"][data-layer="conv1"] td').nth(4)).not.toHaveText('–');
      await app.resultsTab('histogram').click();
      await expect(page.getByTestId('histogram.chart')).toBeVisible();
      await expect(page.getByTestId('histogram.clip')).toHaveCount(2);
      await expect(page.getByTestId('histogram.caption')).toContainText('weights');
      // The same layer's outputs on test images, with its output grid.
      await page.getByTestId('histogram.kind.activation').click();
      await expect(page.getByTestId('histogram.caption')).toContainText('outputs on 64 test images', { timeout: 60_000 });
      await expect(page.getByTestId('histogram.clip')).toHaveCount(2);
    });

    await test.step('a reload mid-way keeps every result and checkpoint', async () => {
      const before = await app.state();
      await page.waitForTimeout(400);
      await page.reload();
      await app.waitForEditor();
      await app.waitForDataset('ready');
      const after = await app.state();
      for (const stage of ['float', 'calibration'] as const) {
        expect(after.stages[stage]).toMatchObject({ state: 'done', accuracy: before.stages[stage].accuracy, runId: before.stages[stage].runId });
      }
      expect(await app.getSource('model.ts')).toBe(model);
      expect(after.settings).toEqual(before.settings);
    });

    await test.step('QAT from the calibration checkpoint kept across the reload', async () => {
      await page.getByTestId('stage.qat.settings').click();
      await set('qat', 'epochs', '1');
      await app.resultsTab('training').click();
      await run('qat');
      const state = await app.state();
      expect(state.stages.qat.accuracy).toBeGreaterThan(state.stages.float.accuracy! - 0.1);
      expect(state.stages.qat.imagesPerSecond).toBeGreaterThan(0);
      await app.resultsTab('accuracy').click();
      await expect(page.getByTestId('accuracy.qat')).toHaveText(`${(state.stages.qat.accuracy! * 100).toFixed(2)} %`);
    });

    for (const stage of ['convert', 'fixed', 'check', 'compile'] as const) {
      await test.step(stage, async () => {
        await run(stage);
        if (stage === 'fixed') {
          const state = await app.state();
          expect(state.stages.fixed.accuracy).toBeGreaterThan(state.stages.qat.accuracy! - 0.05);
        }
        if (stage === 'compile') {
          await app.resultsTab('export').click();
          const links = page.locator('[data-testid^="export.download."]');
          expect(await links.count()).toBeGreaterThanOrEqual(3);
          for (let i = 0; i < (await links.count()); i++) {
            const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
            const bytes = statSync(await download.path()).size;
            expect(bytes, `${download.suggestedFilename()}: bytes downloaded`).toBeGreaterThan(100);
          }
        }
      });
    }

    // An edit makes results stale; undoing it makes them current again.
    await app.setSource('model.ts', `${model}\n// later`);
    await expect(app.stage('float')).toHaveAttribute('data-state', 'stale');
    await expect(app.stage('qat')).toHaveAttribute('data-state', 'stale');
    await app.setSource('model.ts', model);
    await expect(app.stage('qat')).toHaveAttribute('data-state', 'done');
  });
});
