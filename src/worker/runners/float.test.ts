import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../dsl/examples';
import { liveTensorCount } from '../../engine/tensor';
import { loadFashionMnist } from '../../pipeline/testing/fashion_mnist';
import type { StageProgress } from '../../pipeline/types';
import { emptyOverrides } from '../../store/settings';
import { getTestDevice } from '../../testing/gpu';
import { ArtifactStore } from '../artifacts';
import { histogramOf } from '../histogram';
import type { ModelCheckpoint } from '../modelState';
import type { StageRequest } from '../results';
import type { StageEnv } from '../stages';
import { WorkerState } from '../state';
import { runFloat } from './float';

let state: WorkerState;

beforeAll(async () => {
  await getTestDevice();
  const data = loadFashionMnist();
  state = new WorkerState();
  (state as unknown as { datasets: () => typeof data }).datasets = () => data;
});

const files = EXAMPLES[0]!.files;
const tiny = { ...emptyOverrides(), data: { trainSubset: 256, testSubset: 128 }, float: { epochs: 1, batchSize: 64 } };

function env(progress: StageProgress[] = [], signal = new AbortController().signal): StageEnv & { artifacts: ArtifactStore } {
  return { state, artifacts: new ArtifactStore(null), signal, progress: (p) => progress.push(p), transfer: () => {} };
}

describe('the float stage in the worker', () => {
  it('trains the model of model.ts with the effective settings and keeps its weights for later stages', async () => {
    const progress: StageProgress[] = [];
    const e = env(progress);
    const before = liveTensorCount();
    const request: StageRequest = { files, settings: tiny, runId: 'float-t1', inputs: {} };
    const result = await runFloat(request, e);
    expect(result).toMatchObject({ runId: 'float-t1', epochs: 1, steps: 4, test: { count: 128 } });
    expect(result.settings).toMatchObject({ trainSubset: 256, testSubset: 128, epochs: 1, batchSize: 64, lr: 0.05, momentum: 0.9 });
    expect(result.accuracy).toBeGreaterThan(0.2);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(result.modelBytes).toBe(20_586 * 4);
    expect(progress.some((p) => p.stage === 'float' && p.fraction > 0)).toBe(true);
    // Every model made for the run is freed; the weights live on as plain data.
    expect(liveTensorCount()).toBe(before);
    const checkpoint = await e.artifacts.get<ModelCheckpoint>('float', 'float-t1');
    expect(Object.keys(checkpoint.tensors)).toContain('conv1.weight');
    expect(checkpoint.tensors['classifier.weight']!.shape).toEqual([10, 1568]);
    const h = histogramOf(checkpoint, { stage: 'float', runId: 'float-t1', layer: 'conv1', kind: 'weight', bins: 32 });
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(144);
  });

  it('locates an error in forward at its line of model.ts', async () => {
    // Shapes that do not fit fail at the layer that receives them.
    const model = files['model.ts'].replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1);\n    x = x.reshape([-1, 7]);');
    const line = model.split('\n').findIndex((l) => l.includes('x = this.classifier(x)')) + 1;
    const error = await runFloat({ files: { ...files, 'model.ts': model }, settings: tiny, runId: 'bad', inputs: {} }, env()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`^model\\.ts:${line}:\\d+: `));
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runFloat({ files, settings: tiny, runId: 'c', inputs: {} }, env([], controller.signal)).catch((e: Error) => e);
    expect((error as Error).message).toBe('float: cancelled');
  });
});
