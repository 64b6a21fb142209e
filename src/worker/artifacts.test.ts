import { describe, expect, it } from 'vitest';
import { ArtifactStore, MemoryKeyValueStore, MissingArtifactError } from './artifacts';

describe('ArtifactStore', () => {
  it('keeps artifacts by stage and run, and finds them again after a restart through the store', async () => {
    const kv = new MemoryKeyValueStore();
    const store = new ArtifactStore(kv);
    const weights = { 'fc.weight': { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } };
    await store.put('float', 'r1', weights);
    expect(await store.get('float', 'r1')).toBe(weights);

    const restarted = new ArtifactStore(kv);
    expect(await restarted.has('float', 'r1')).toBe(true);
    expect(await restarted.get('float', 'r1')).toEqual(weights);
    await expect(restarted.get('float', 'r2')).rejects.toThrow(MissingArtifactError);
    await expect(restarted.get('qat', 'r1')).rejects.toThrow('The qat result this needs (run r1) is no longer kept: run qat again');
  });

  it('keeps the newest runs of each stage and deletes older ones', async () => {
    const kv = new MemoryKeyValueStore();
    const store = new ArtifactStore(kv, 2);
    for (const run of ['a', 'b', 'c']) {
      await store.put('float', run, run);
      await new Promise((r) => setTimeout(r, 2));
    }
    await store.put('qat', 'q', 'q');
    expect((await kv.keys()).sort()).toEqual(['artifact:float:b', 'artifact:float:c', 'artifact:qat:q']);
    expect(await store.get('float', 'b')).toBe('b');
  });

  it('works in memory only', async () => {
    const store = new ArtifactStore(null);
    await store.put('convert', 'x', { ops: 3 });
    expect(await store.get('convert', 'x')).toEqual({ ops: 3 });
    await store.put('convert', 'y', { ops: 4 });
    await expect(store.get('convert', 'x')).rejects.toThrow(MissingArtifactError);
  });
});
