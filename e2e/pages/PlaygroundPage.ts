import { expect, type Locator, type Page } from '@playwright/test';
import type { PlaygroundSnapshot } from '../../src/store/automation';
import type { FlatSettings } from '../../src/store/settings';
import type { StageName } from '../../src/pipeline/types';

export type EditorFile = 'model.ts' | 'qconfig.ts';

/** The playground page as a person sees it, through stable data-testids. */
export class PlaygroundPage {
  readonly gpuStatus: Locator;
  readonly gpuVendor: Locator;
  readonly gpuArchitecture: Locator;
  readonly gpuMessage: Locator;
  readonly headerAdapter: Locator;
  readonly editor: Locator;
  readonly editorText: Locator;
  readonly datasetStatus: Locator;
  readonly datasetProgress: Locator;
  readonly datasetError: Locator;
  readonly datasetRetry: Locator;
  readonly datasetSource: Locator;
  readonly samples: Locator;
  readonly sampleLabels: Locator;

  constructor(readonly page: Page) {
    this.gpuStatus = page.getByTestId('gpu.status');
    this.gpuVendor = page.getByTestId('gpu.vendor');
    this.gpuArchitecture = page.getByTestId('gpu.architecture');
    this.gpuMessage = page.getByTestId('gpu.message');
    this.headerAdapter = page.getByTestId('header.adapter');
    this.editor = page.getByTestId('editor.surface');
    this.editorText = this.editor.locator('.view-lines');
    this.datasetStatus = page.getByTestId('dataset.status');
    this.datasetProgress = page.getByTestId('dataset.progress');
    this.datasetError = page.getByTestId('dataset.error');
    this.datasetRetry = page.getByTestId('dataset.retry');
    this.datasetSource = page.getByTestId('dataset.source');
    this.samples = page.getByTestId('dataset.sample');
    this.sampleLabels = page.getByTestId('dataset.sample.label');
  }

  async goto(hash = ''): Promise<void> {
    await this.page.goto(`./${hash}`);
  }

  /**
   * Keeps the dataset from loading (tests of the editor, links and settings do not need it, and its
   * 30 MB decode would only slow them down). The dataset panel then shows the load as failed.
   */
  async skipDataset(): Promise<void> {
    await this.page.context().route('**/datasets/**/*.gz', (route) => route.abort('blockedbyclient'));
  }

  stage(name: StageName): Locator {
    return this.page.getByTestId(`stage.${name}`);
  }

  runButton(name: StageName): Locator {
    return this.page.getByTestId(`stage.${name}.run`);
  }

  /** Clicks a stage's Run button and waits for a new result (a fast stage may pass 'running' between two looks). */
  async clickRun(stage: StageName, timeout = 240_000): Promise<PlaygroundSnapshot['stages'][StageName]> {
    const before = (await this.state()).stages[stage].runId;
    await this.runButton(stage).click();
    await expect
      .poll(async () => {
        const s = (await this.state()).stages[stage];
        return s.state === 'failed' ? `failed: ${s.error}` : s.state === 'done' && s.runId !== before ? 'done' : s.state;
      }, { timeout, intervals: [250, 500, 1000] })
      .toBe('done');
    return (await this.state()).stages[stage];
  }

  /** Types a value into a settings field (or picks it in a select) as a person would. */
  async setField(group: string, key: string, value: string): Promise<void> {
    const field = this.page.getByTestId(`setting.${group}.${key}`);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
    else {
      await field.fill(value);
      await field.press('Enter');
    }
  }

  resultsTab(name: 'accuracy' | 'training' | 'layers' | 'histogram' | 'graph' | 'check' | 'export' | 'sensitivity'): Locator {
    return this.page.getByTestId(`results.tab.${name}`);
  }

  async checkCode(): Promise<void> {
    await this.page.getByTestId('pipeline.check').click();
    await expect(this.page.getByTestId('pipeline.check')).toHaveText('Check code');
  }

  setSource(file: EditorFile, text: string): Promise<void> {
    return this.page.evaluate(([f, t]) => window.qatPlayground!.setSource(f as EditorFile, t), [file, text] as const);
  }

  setSettings(patch: FlatSettings, stage?: StageName): Promise<void> {
    return this.page.evaluate(([p, s]) => window.qatPlayground!.setSettings(p, s), [patch, stage] as const);
  }

  /** Runs a stage through window.qatPlayground; resolves to the fields tests look at. */
  run(stage: StageName, settings?: FlatSettings): Promise<{ accuracy?: number; imagesPerSecond?: number; runId: string }> {
    return this.page.evaluate(
      async ([s, settings]) => {
        const r = (await window.qatPlayground!.run(s, settings)) as unknown as Record<string, unknown>;
        return { accuracy: r.accuracy as number | undefined, imagesPerSecond: r.imagesPerSecond as number | undefined, runId: r.runId as string };
      },
      [stage, settings] as const,
    );
  }

  tab(file: EditorFile): Locator {
    return this.page.getByTestId(`editor.tab.${file.replace(/\.ts$/, '')}`);
  }

  async openFile(file: EditorFile): Promise<void> {
    await this.tab(file).click();
    await expect(this.tab(file)).toHaveAttribute('aria-selected', 'true');
  }

  async waitForEditor(): Promise<void> {
    await expect(this.editor).toHaveAttribute('data-state', 'ready');
  }

  async waitForDataset(state: 'ready' | 'error'): Promise<void> {
    await expect(this.datasetStatus).toHaveAttribute('data-state', state, { timeout: 60_000 });
  }

  /** The page's own state, read through window.qatPlayground. */
  state(): Promise<PlaygroundSnapshot> {
    return this.page.evaluate(() => {
      if (!window.qatPlayground) throw new Error('window.qatPlayground is missing');
      return window.qatPlayground.state();
    });
  }

  getSource(file: EditorFile): Promise<string> {
    return this.page.evaluate((f) => window.qatPlayground!.getSource(f), file);
  }

  /** How many pixels of each sample canvas are not black (a blank canvas has 0). */
  litPixelsPerSample(): Promise<number[]> {
    return this.samples.locator('canvas').evaluateAll((canvases) =>
      (canvases as HTMLCanvasElement[]).map((canvas) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i]! > 0) lit++;
        return lit;
      }),
    );
  }
}
