import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/PlaygroundPage';

/** The page around the stages: code check and markers, share links, examples, persistence. */
test.describe('the playground page', () => {
  let app: PlaygroundPage;
  const pageErrors: string[] = [];

  test.beforeEach(async ({ page }) => {
    pageErrors.length = 0;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    app = new PlaygroundPage(page);
    await app.skipDataset();
  });

  test.afterEach(() => {
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  test('checks the code: graph and check table, then a syntax error as a marker and a message, fixed again', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    await app.checkCode();
    await expect(page.getByTestId('problems')).toContainText('The code checks');
    await app.resultsTab('graph').click();
    await expect(page.getByTestId('graph.node.conv1')).toContainText('ConvBnReLU2d');
    await expect(page.locator('[data-testid="graph.edge"][data-dtype="qint32"]')).toHaveCount(1);
    await app.resultsTab('check').click();
    await expect(page.locator('[data-testid="check.row"][data-node="classifier"]')).toHaveAttribute('data-output', 'qint32');

    const original = await app.getSource('model.ts');
    const broken = original.replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1;');
    const line = broken.split('\n').findIndex((l) => l.includes('torch.flatten(x, 1;')) + 1;
    await app.setSource('model.ts', broken);
    await app.checkCode();
    const problem = page.getByTestId('problems.item');
    await expect(problem).toHaveCount(1);
    await expect(problem).toContainText(`model.ts:${line}:`);
    await expect(app.tab('model.ts')).toHaveAttribute('data-errors', 'true');
    // The marker sits on that line: the squiggle is drawn level with the line's number.
    const squiggle = app.editor.locator('.squiggly-error').first();
    await expect(squiggle).toBeVisible();
    const number = app.editor.locator('.line-numbers', { hasText: new RegExp(`^${line}$`) });
    // Monaco may redraw its decorations between two looks: poll until both are laid out.
    await expect
      .poll(async () => {
        const [a, b] = [await squiggle.boundingBox(), await number.boundingBox()];
        return a && b ? Math.abs(a.y - b.y) : Infinity;
      }, { timeout: 10_000 })
      .toBeLessThan(12);
    // The graph of the last good code stays.
    await app.resultsTab('graph').click();
    await expect(page.getByTestId('graph.node.conv1')).toBeVisible();
    const state = await app.state();
    expect(state.code).toMatchObject({ status: 'failed', current: true });
    expect(state.code.diagnostics[0]).toMatchObject({ file: 'model.ts', line });

    await app.setSource('model.ts', original);
    await app.checkCode();
    await expect(page.getByTestId('problems.item')).toHaveCount(0);
    await expect(app.tab('model.ts')).not.toHaveAttribute('data-errors', 'true');
    expect((await app.state()).code.diagnostics).toEqual([]);
  });

  test('a share link restores both files and every setting in a new page, and runs nothing before Run', async ({ page, browser }) => {
    await app.goto();
    await app.waitForEditor();
    await app.setSource('qconfig.ts', `${await app.getSource('qconfig.ts')}\n// shared qconfig ✓\n`);
    await app.setSource('model.ts', `// shared model\n${await app.getSource('model.ts')}`);
    await app.setSettings({ trainSubset: 512, testSubset: 256 });
    await app.setSettings({ epochs: 2, lr: 0.002 }, 'qat');
    await app.setSettings({ requantMode: 'float' }, 'convert');
    const files = { model: await app.getSource('model.ts'), qconfig: await app.getSource('qconfig.ts') };
    const settings = (await app.state()).settings;

    await page.getByTestId('share.button').click();
    const link = await page.getByTestId('share.link').inputValue();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#s1=[\w-]+$/);
    expect(await page.evaluate(() => window.qatPlayground!.shareLink())).toBe(link);

    // A new browser context: no storage shared with the first page.
    const context = await browser.newContext();
    const other = await context.newPage();
    await new PlaygroundPage(other).skipDataset();
    const errors: string[] = [];
    other.on('pageerror', (e) => errors.push(e.message));
    const fresh = new PlaygroundPage(other);
    await other.goto(link);
    await fresh.waitForEditor();
    expect(await fresh.getSource('model.ts')).toBe(files.model);
    expect(await fresh.getSource('qconfig.ts')).toBe(files.qconfig);
    await expect(fresh.editorText).toContainText('// shared model');
    const opened = await fresh.state();
    expect(opened.settings).toEqual(settings);
    await expect(other.getByTestId('setting.data.trainSubset')).toHaveValue('512');
    // Nothing ran: no code check, no stage.
    expect(opened.code.status).toBe('idle');
    for (const stage of Object.values(opened.stages)) expect(['idle', 'unavailable']).toContain(stage.state);
    await expect(other.getByTestId('notice')).toContainText('nothing has run');
    // The hash is gone, so a reload keeps later edits instead of reapplying the link.
    expect(new URL(other.url()).hash).toBe('');
    await other.waitForTimeout(500);
    expect((await fresh.state()).code.status).toBe('idle');
    expect(errors).toEqual([]);
    await context.close();
  });

  test('a malformed or oversized link gives a message and the default example', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    const defaults = await app.getSource('model.ts');
    for (const hash of ['#s1=this-is-not-deflate', `#s1=${'A'.repeat(120_000)}`]) {
      await page.goto('about:blank');
      await app.goto(hash);
      await app.waitForEditor();
      await expect(page.getByTestId('notice').first()).toHaveAttribute('data-kind', 'error');
      await expect(page.getByTestId('notice').first()).toContainText('The default example is loaded instead');
      expect(await app.getSource('model.ts')).toBe(defaults);
      expect((await app.state()).code.status).toBe('idle');
    }
  });

  test('loads a gallery example in one click and puts edited files back with undo', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    await app.setSource('model.ts', '// my own model\n');
    await page.getByTestId('examples.button').click();
    await expect(page.getByTestId('examples.menu').getByRole('menuitem')).toHaveCount(6);
    await page.getByTestId('examples.item.small_model').click();
    await expect(app.editorText).toContainText('linear2');
    expect((await app.state()).example).toBe('small_model');
    await page.getByTestId('examples.undo').click();
    expect(await app.getSource('model.ts')).toBe('// my own model\n');
    await expect(page.getByTestId('examples.undo')).toHaveCount(0);
  });

  test('a reload keeps the editor text, the settings and the last code check', async ({ page }) => {
    await app.goto();
    await app.waitForEditor();
    await app.setSource('qconfig.ts', `${await app.getSource('qconfig.ts')}\n// kept across reloads\n`);
    await page.getByTestId('setting.data.testSubset').fill('300');
    await page.getByTestId('setting.data.testSubset').press('Enter');
    await app.checkCode();
    await page.waitForTimeout(500);
    await page.reload();
    await app.waitForEditor();
    expect(await app.getSource('qconfig.ts')).toContain('// kept across reloads');
    expect((await app.state()).settings.data).toEqual({ testSubset: 300 });
    await app.resultsTab('graph').click();
    await expect(page.getByTestId('graph.node.conv1')).toBeVisible();
    expect((await app.state()).code.status).toBe('ok');
  });
});
