/**
 * Checkpoints: a prepared model's state_dict (parameters, BN statistics, observer and fake-quant state)
 * read back, kept in each store (memory, a key-value backend as IndexedDB is, files), and loaded into a
 * fresh model, dtypes included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { prepareStageModel } from '../dsl/stage';
import type { EvaluatedProgram } from '../dsl/evaluate';
import { Tensor } from '../engine/tensor';
import {
  KeyValueCheckpointStore,
  MemoryCheckpointStore,
  checkpointOf,
  loadCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type KeyValueBackend,
} from './checkpoints';
import { FileCheckpointStore, decodeCheckpoint, encodeCheckpoint } from './checkpoints_node';
import { exampleFiles, loadProgram } from './testing/stage_fixture';

let program: EvaluatedProgram;
const dir = mkdtempSync(join(tmpdir(), 'qat-ckpt-'));

beforeAll(async () => {
  await getTestDevice();
  program = loadProgram(exampleFiles('reference_cnn'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Map that stores structured clones, as IndexedDB does. */
class CloningBackend implements KeyValueBackend {
  readonly map = new Map<string, unknown>();
  async get(k: string) {
    return structuredClone(this.map.get(k));
  }
  async set(k: string, v: unknown) {
    this.map.set(k, structuredClone(v));
  }
  async del(k: string) {
    this.map.delete(k);
  }
  async keys() {
    return [...this.map.keys()];
  }
}

/** A calibration-prepared model with made-up observer and fake-quant state. */
async function modelWithState(seed: number) {
  const model = prepareStageModel(program, 'calibration');
  for (const [name, t] of model.state_dict()) {
    const n = name.endsWith('min_val') || name.endsWith('max_val') ? Math.max(1, t.numel) : t.numel;
    const values = Array.from({ length: n }, (_, i) => (t.dtype === 'int32' ? (i + seed) % 7 : Math.sin(i * 0.37 + seed)));
    if (n !== t.numel) model.load_state_dict(new Map([[name, Float32Array.from(values)]]), false);
    else t.assign(values);
  }
  return model;
}

describe('checkpoints', () => {
  it('checkpointOf reads every state_dict entry with its dtype and shape, and loads back into a fresh model', async () => {
    const a = await modelWithState(1);
    const ckpt = await checkpointOf(a, 'calibration', { note: 'x' });
    expect(Object.keys(ckpt.tensors)).toEqual([...a.state_dict().keys()]);
    expect(ckpt.tensors['conv1.activation_post_process.zero_point']!.dtype).toBe('int32');
    expect(ckpt.tensors['conv1.activation_post_process.zero_point']!.data).toBeInstanceOf(Int32Array);
    expect(ckpt.tensors['conv2.conv.weight']!.shape).toEqual([32, 16, 3, 3]);

    const b = prepareStageModel(program, 'calibration');
    const report = loadCheckpoint(b, ckpt);
    expect(report).toEqual({ missing: [], unexpected: [] });
    for (const [name, t] of b.state_dict()) expect(Array.from(await t.read()), name).toEqual(Array.from(ckpt.tensors[name]!.data));
    a.dispose();
    b.dispose();
  });

  const stores: [string, () => CheckpointStore][] = [
    ['memory', () => new MemoryCheckpointStore()],
    ['key-value (IndexedDB-style)', () => new KeyValueCheckpointStore(new CloningBackend())],
    ['files', () => new FileCheckpointStore(join(dir, 'store'))],
  ];
  for (const [label, make] of stores) {
    it(`${label} store: save, keys, load (a copy, same values and types), delete`, async () => {
      const model = await modelWithState(2);
      const ckpt = await checkpointOf(model, 'qat', { accuracy: 0.5 });
      const store = make();
      await store.save('qat:run1', ckpt);
      expect(await store.keys()).toContain('qat:run1');
      const back = (await store.load('qat:run1'))!;
      expect(back.kind).toBe('qat');
      expect(back.meta).toEqual({ accuracy: 0.5 });
      for (const [name, t] of Object.entries(ckpt.tensors)) {
        const u = back.tensors[name]!;
        expect(u.dtype, name).toBe(t.dtype);
        expect(u.shape, name).toEqual(t.shape);
        expect(u.data.constructor, name).toBe(t.data.constructor);
        expect(Array.from(u.data), name).toEqual(Array.from(t.data));
      }
      back.tensors['conv1.conv.weight']!.data[0] = 123;
      expect((await store.load('qat:run1'))!.tensors['conv1.conv.weight']!.data[0]).not.toBe(123);
      expect(await store.load('missing')).toBeNull();
      await store.delete('qat:run1');
      expect(await store.load('qat:run1')).toBeNull();
      model.dispose();
    });
  }

  it('a key-value store refuses a value that is not a checkpoint', async () => {
    const backend = new CloningBackend();
    await backend.set('checkpoint:old', { weights: [1, 2] });
    await expect(new KeyValueCheckpointStore(backend).load('old')).rejects.toThrow(/checkpoint 'old': the stored value is not a checkpoint/);
  });

  it('files: a wrong magic or a truncated file is named', async () => {
    const model = await modelWithState(3);
    const bytes = encodeCheckpoint(await checkpointOf(model, 'float'));
    expect(decodeCheckpoint(bytes, 'x.ckpt').tensors['classifier.weight']!.shape).toEqual([10, 1568]);
    expect(() => decodeCheckpoint(new TextEncoder().encode('PK\u0003\u0004junk'), 'a.ckpt')).toThrow(/a\.ckpt: not a checkpoint file/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 100), 'b.ckpt')).toThrow(/b\.ckpt: truncated at tensor 'classifier\.bias'|b\.ckpt: truncated at tensor/);
    writeFileSync(join(dir, 'bad.ckpt'), 'nonsense');
    await expect(new FileCheckpointStore(dir).load('bad')).rejects.toThrow(/bad\.ckpt: not a checkpoint file/);
    model.dispose();
  });

  it('loading a checkpoint without the fake quantizers the model has names what is missing', async () => {
    const model = await modelWithState(4);
    const ckpt: Checkpoint = await checkpointOf(model, 'calibration');
    delete ckpt.tensors['conv2.activation_post_process.scale'];
    const fresh = prepareStageModel(program, 'calibration');
    expect(() => loadCheckpoint(fresh, ckpt)).toThrow(/the model has conv2\.activation_post_process\.scale, which the checkpoint lacks/);
    // Observer-internal state may differ between observers: it is reported, not an error.
    const ckpt2 = await checkpointOf(model, 'calibration');
    ckpt2.tensors['conv1.activation_post_process.activation_post_process.histogram'] = { shape: [4], dtype: 'float32', data: new Float32Array(4) };
    delete ckpt2.tensors['conv1.activation_post_process.activation_post_process.min_val'];
    expect(loadCheckpoint(fresh, ckpt2)).toEqual({
      missing: ['conv1.activation_post_process.activation_post_process.min_val'],
      unexpected: ['conv1.activation_post_process.activation_post_process.histogram'],
    });
    model.dispose();
    fresh.dispose();
  });

  it('Tensor values survive a round trip through a checkpoint exactly (NaN and -0 included)', async () => {
    const model = prepareStageModel(program, 'calibration');
    const w = model.state_dict().get('classifier.bias') as Tensor;
    w.assign([NaN, -0, Infinity, 1e-38, 3.4e38, 1, 2, 3, 4, 5]);
    const back = decodeCheckpoint(encodeCheckpoint(await checkpointOf(model, 'float')), 't');
    const values = Array.from(back.tensors['classifier.bias']!.data);
    expect(values.slice(0, 3)).toEqual([NaN, -0, Infinity]);
    expect(Object.is(values[1], -0)).toBe(true);
    model.dispose();
  });
});
