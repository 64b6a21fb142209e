import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { Tensor, keep, liveTensorCount, tidy } from './tensor';
import { bufferPool } from './pool';
import { copy, setCopyLaunch } from './kernels/copy';
import { grid1d } from './grid';

beforeAll(async () => {
  await getTestDevice();
});

describe('Tensor', () => {
  it('round-trips float32, int32, int8 and int16 through the GPU', async () => {
    const f = Tensor.fromArray([1.5, -2, 3.25], [3]);
    expect(await f.toArray()).toEqual([1.5, -2, 3.25]);
    const i = Tensor.fromArray([7, -9, 2147483647], [3], 'int32');
    expect(await i.toArray()).toEqual([7, -9, 2147483647]);
    const b = Tensor.fromArray([-128, 127, 5, -1, 9], [5], 'int8');
    expect(b.byteSize).toBe(8);
    expect(await b.toArray()).toEqual([-128, 127, 5, -1, 9]);
    const h = Tensor.fromArray([-32768, 32767, 3], [3], 'int16');
    expect(await h.toArray()).toEqual([-32768, 32767, 3]);
    for (const t of [f, i, b, h]) t.dispose();
  });

  it('rejects data that does not fill the shape, naming both', () => {
    expect(() => Tensor.fromArray([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
  });

  it('copies through a WGSL kernel', async () => {
    const data = Array.from({ length: 1000 }, (_, k) => Math.sin(k));
    const x = Tensor.fromArray(data, [10, 100]);
    const y = copy(x);
    expect(Array.from(await y.read())).toEqual(Array.from(new Float32Array(data)));
    x.dispose();
    y.dispose();
  });

  it('copies every element under each launch shape (runs shared by interleaved invocations, odd lengths)', async () => {
    try {
      for (const launch of [{ wg: 256, epi: 1, lanes: 1 }, { wg: 128, epi: 16, lanes: 4 }, { wg: 32, epi: 3, lanes: 2 }]) {
        setCopyLaunch(launch);
        for (const n of [1, 7, 4 * 64 + 5, 4 * 16 * 4 * 3 + 9]) {
          const data = Array.from({ length: n }, (_, k) => k + 0.5);
          const x = Tensor.fromArray(data, [n]);
          const y = copy(x);
          expect(Array.from(await y.read()), `${JSON.stringify(launch)}, ${n} floats`).toEqual(data);
          x.dispose();
          y.dispose();
        }
      }
    } finally {
      setCopyLaunch(null);
    }
  });

  it('tidy disposes intermediates and keeps what is returned or kept', () => {
    const before = liveTensorCount();
    let kept: Tensor | null = null;
    const out = tidy(() => {
      const a = Tensor.zeros([4]);
      const b = copy(a);
      kept = keep(Tensor.zeros([2]));
      copy(b);
      return b;
    });
    expect(liveTensorCount()).toBe(before + 2);
    expect(out.isDisposed).toBe(false);
    out.dispose();
    kept!.dispose();
    expect(liveTensorCount()).toBe(before);
  });

  it('reuses pooled buffers instead of creating new ones', () => {
    const t = Tensor.zeros([1234]);
    t.dispose();
    const created = bufferPool.stats().created;
    const again = Tensor.zeros([1234]);
    expect(bufferPool.stats().created).toBe(created);
    again.dispose();
  });

  it('views share storage and release it once both are gone', async () => {
    const base = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = base.view([3, 2]);
    const live = bufferPool.stats().liveBuffers;
    base.dispose();
    expect(bufferPool.stats().liveBuffers).toBe(live);
    expect(await v.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    v.dispose();
    expect(bufferPool.stats().liveBuffers).toBe(live - 1);
  });
});

describe('grid1d', () => {
  it('folds large problems into two dimensions that cover every invocation', () => {
    expect(grid1d(1000, 256)).toEqual([4, 1, 1024]);
    const [gx, gy, stride] = grid1d(70000 * 256, 256);
    expect(gx).toBeLessThanOrEqual(65535);
    expect(gx * gy * 256).toBeGreaterThanOrEqual(70000 * 256);
    expect(stride).toBe(gx * 256);
  });
});
