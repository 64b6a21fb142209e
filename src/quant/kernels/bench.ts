/**
 * Throughput of the fake-quant kernels next to the plain copy kernel (the memory-bound limit), for
 * `npm run bench`: bytes read + written per second. Call with the engine's device open.
 */
import { sync } from '../../engine/commands';
import { Tensor, tidy } from '../../engine/tensor';
import { copy } from '../../engine/kernels/copy';
import { fakeQuantizeBackward, fakeQuantizeForward, packQParamsInto } from './fake_quantize';

export interface FakeQuantBench {
  elements: number;
  copyGBps: number;
  /** Per-tensor fake quantize forward (x -> y). */
  fakeQuantGBps: number;
  /** Per-channel forward (channels along dim 1 of [N, C, H, W]). */
  fakeQuantPerChannelGBps: number;
  /** Straight-through backward (x, dy -> dx). */
  fakeQuantBackwardGBps: number;
  /** fakeQuantGBps / copyGBps. */
  ratio: number;
}

/** Seconds per run: the best of `rounds` timings of `repeats` runs (other work on the machine only adds time). */
async function timed(repeats: number, rounds: number, run: () => void): Promise<number> {
  run();
  await sync();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) run();
    await sync();
    best = Math.min(best, (performance.now() - t0) / 1000 / repeats);
  }
  return best;
}

export async function benchFakeQuantize(elements = 1 << 22, repeats = 10, rounds = 3): Promise<FakeQuantBench> {
  const channels = 64;
  const spatial = Math.max(1, Math.floor(elements / (channels * 4)));
  const shape = [4, channels, spatial];
  const n = 4 * channels * spatial;
  const x = Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3), shape);
  const dy = Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => Math.cos(i)), shape);
  const packedT = packQParamsInto(Tensor.fromArray([0.02], [1]), Tensor.fromArray([3], [1], 'int32'), null);
  const packedC = packQParamsInto(
    Tensor.fromArray(Array.from({ length: channels }, (_, c) => 0.01 + c * 1e-4), [channels]),
    Tensor.zeros([channels], 'int32'),
    null,
  );
  const bytes2 = 8 * n;
  const bytes3 = 12 * n;
  const tCopy = await timed(repeats, rounds, () => tidy(() => void copy(x)));
  const tFq = await timed(repeats, rounds, () => tidy(() => void fakeQuantizeForward(x, packedT, -128, 127, null)));
  const tFqC = await timed(repeats, rounds, () => tidy(() => void fakeQuantizeForward(x, packedC, -128, 127, 1)));
  const tBwd = await timed(repeats, rounds, () => tidy(() => void fakeQuantizeBackward(x, dy, packedT, -128, 127, null)));
  for (const t of [x, dy, packedT, packedC]) t.dispose();
  const copyGBps = bytes2 / tCopy / 1e9;
  const fakeQuantGBps = bytes2 / tFq / 1e9;
  return {
    elements: n,
    copyGBps,
    fakeQuantGBps,
    fakeQuantPerChannelGBps: bytes2 / tFqC / 1e9,
    fakeQuantBackwardGBps: bytes3 / tBwd / 1e9,
    ratio: fakeQuantGBps / copyGBps,
  };
}
