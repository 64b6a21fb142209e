/**
 * GPU fake quantize: forward and straight-through backward (shaders/fake_quant.wgsl), and the packing
 * of scale/zero point into what it reads (shaders/fake_quant_pack.wgsl). CPU reference:
 * numerics/fake_quantize.ts.
 */
import fakeQuantWgsl from '../../../shaders/fake_quant.wgsl?raw';
import packWgsl from '../../../shaders/fake_quant_pack.wgsl?raw';
import { dispatch } from '../../engine/commands';
import { grid1d } from '../../engine/grid';
import { getPipeline } from '../../engine/pipelines';
import { deviceAdapter } from '../../engine/device';
import { Tensor } from '../../engine/tensor';
import { innerSize } from '../numerics/fake_quantize';
import { uniformBytes, withMath } from './wgsl';


/** A float32 [channels, 4] tensor of (scale, 1/scale, zp_forward, zp_backward) per channel. */
export function packedShape(channels: number): [number, number] {
  return [channels, 4];
}

function reusable(into: Tensor | null, channels: number): Tensor {
  if (into && !into.isDisposed && into.numel === channels * 4) return into;
  into?.dispose();
  return new Tensor(packedShape(channels), 'float32');
}

/** Packs an observer-style scale (float32) and zero point (int32); reuses `into` when it has the size. */
export function packQParamsInto(scale: Tensor, zeroPoint: Tensor, into: Tensor | null): Tensor {
  const channels = scale.numel;
  if (zeroPoint.numel !== channels) throw new Error(`packQParams: ${channels} scales, ${zeroPoint.numel} zero points`);
  if (scale.dtype !== 'float32' || zeroPoint.dtype !== 'int32') {
    throw new Error(`packQParams: scale must be float32 and zero_point int32 (got ${scale.dtype}, ${zeroPoint.dtype})`);
  }
  const packed = reusable(into, channels);
  const pipeline = getPipeline('fake_quant_pack:0', () => withMath(packWgsl), { MODE: 0 });
  dispatch(
    pipeline,
    [scale.buffer, zeroPoint.buffer, scale.buffer, packed.buffer],
    [Math.ceil(channels / 64)],
    uniformBytes([
      ['u32', channels],
      ['u32', 0],
      ['f32', 0],
      ['f32', 0],
    ]),
  );
  return packed;
}

/** Packs LSQ's float scale/zero-point parameters (zero points rounded and clamped as PyTorch does). */
export function packLearnableQParams(scale: Tensor, zeroPoint: Tensor, quantMin: number, quantMax: number, perChannel: boolean): Tensor {
  const channels = scale.numel;
  if (zeroPoint.numel !== channels) throw new Error(`LSQ: ${channels} scales, ${zeroPoint.numel} zero points`);
  const packed = new Tensor(packedShape(channels), 'float32');
  const pipeline = getPipeline('fake_quant_pack:1', () => withMath(packWgsl), { MODE: 1 });
  dispatch(
    pipeline,
    [scale.buffer, scale.buffer, zeroPoint.buffer, packed.buffer],
    [Math.ceil(channels / 64)],
    uniformBytes([
      ['u32', channels],
      ['u32', perChannel ? 1 : 0],
      ['f32', quantMin],
      ['f32', quantMax],
    ]),
  );
  return packed;
}

/**
 * Launch shape of the elementwise fake-quant kernel. Software adapters: runs of vec4s per invocation
 * (SwiftShader's fixed cost per invocation dwarfs the arithmetic), with `lanes` invocations interleaved
 * inside a run so that the 4 lanes of its SIMD group load neighbouring vec4s, as the copy kernel does.
 * scripts/tune_fake_quant.ts times shapes in interleaved rounds: 64x32 with 4 lanes is the fastest here for
 * both this kernel and the copy (128x16x4, 64x16x4, 256x16x4, 128x32x4 within noise of it; 1 lane or
 * 8 lanes slower). GPUs: interleaved vec4s across the grid.
 */
const LAUNCH = {
  runs: { wg: 64, epi: 32, lanes: 4 },
  strided: { wg: 64, epi: 8, lanes: 1 },
};
let launchOverride: { wg: number; epi: number; lanes?: number } | null = null;

/** Overrides the launch shape (workgroup size, vec4s per invocation; null: per layout): for tuning scripts. */
export function setFakeQuantLaunch(launch: { wg: number; epi: number; lanes?: number } | null): void {
  launchOverride = launch;
}

export type FakeQuantLayout = 'auto' | 'runs' | 'strided';
let layout: FakeQuantLayout = 'auto';

/** Forces the launch layout ('auto': runs on software adapters, strided on GPUs): for tests and the bench. */
export function setFakeQuantLayout(next: FakeQuantLayout): void {
  layout = next;
}

export type FakeQuantRounding = 'auto' | 'magic' | 'round';
let rounding: FakeQuantRounding = 'auto';

/**
 * Forces how the kernel rounds and clamps ('auto': the magic-number path on SwiftShader, `round`/`clamp`
 * elsewhere; see shaders/fake_quant_math.wgsl): for tests and tuning scripts.
 */
export function setFakeQuantRounding(next: FakeQuantRounding): void {
  rounding = next;
}

/** Whether a kernel with this rounding setting takes the magic-number path on the current adapter. */
export function usesMagicRounding(setting: FakeQuantRounding): boolean {
  return setting === 'auto' ? deviceAdapter().swiftShader : setting === 'magic';
}

function run(x: Tensor, packed: Tensor, dy: Tensor | null, quantMin: number, quantMax: number, axis: number | null, reluMask = false): Tensor {
  x.assertLive('fake_quantize');
  if (x.dtype !== 'float32') throw new Error(`fake_quantize: input must be float32 (got ${x.dtype})`);
  const channels = axis === null ? 1 : x.shape[axis]!;
  if (packed.numel !== channels * 4) {
    throw new Error(`fake_quantize: ${packed.numel / 4} packed channels for input [${x.shape.join(', ')}] (axis ${axis})`);
  }
  if (dy && dy.numel !== x.numel) throw new Error(`fake_quantize backward: dy [${dy.shape.join(', ')}] vs x [${x.shape.join(', ')}]`);
  const out = new Tensor(x.shape, 'float32');
  const n4 = Math.ceil(x.numel / 4);
  const runs = layout === 'auto' ? deviceAdapter().software : layout === 'runs';
  const { wg: FQ_WG, epi: FQ_EPI } = launchOverride ?? LAUNCH[runs ? 'runs' : 'strided'];
  const lanes = (launchOverride ?? LAUNCH[runs ? 'runs' : 'strided']).lanes ?? 1;
  const invocations = Math.max(1, Math.ceil(n4 / FQ_EPI));
  const [gx, gy, stride] = grid1d(invocations, FQ_WG);
  const perChannel = axis !== null;
  const inner = axis === null ? 1 : innerSize(x.shape, axis);
  const sameChannel = inner % 4 === 0;
  const backward = dy !== null;
  const magic = usesMagicRounding(rounding);
  const key = `fake_quant:${FQ_WG}x${FQ_EPI}x${lanes}:${magic ? 'magic:' : ''}${perChannel ? (sameChannel ? 'ch4' : 'ch1') : 't'}:${backward ? (reluMask ? 'bwd_relu' : 'bwd') : 'fwd'}:${runs ? 'runs' : 'strided'}`;
  const pipeline = getPipeline(key, () => withMath(fakeQuantWgsl), {
    WG: FQ_WG,
    EPI: FQ_EPI,
    LANES: lanes,
    RUNS: runs ? 1 : 0,
    PER_CHANNEL: perChannel ? 1 : 0,
    SAME_CHANNEL: sameChannel ? 1 : 0,
    BACKWARD: backward ? 1 : 0,
    RELU_MASK: reluMask ? 1 : 0,
    MAGIC: magic ? 1 : 0,
  });
  dispatch(
    pipeline,
    [x.buffer, packed.buffer, (dy ?? x).buffer, out.buffer],
    [gx, gy],
    uniformBytes([
      ['u32', n4],
      ['u32', stride],
      ['u32', gx * gy * FQ_WG],
      ['u32', Math.max(1, inner)],
      ['u32', channels],
      ['f32', quantMin],
      ['f32', quantMax],
    ]),
  );
  return out;
}

/** y = fake_quantize(x); `axis` null is per tensor. */
export function fakeQuantizeForward(x: Tensor, packed: Tensor, quantMin: number, quantMax: number, axis: number | null): Tensor {
  return run(x, packed, null, quantMin, quantMax, axis);
}

/**
 * dx = dy * (qmin <= zp + nearbyint(x / scale) <= qmax), recomputed from x (no mask kept). With
 * `reluMask` x is a ReLU's output and the result is also the ReLU's backward (zero where x <= 0).
 */
export function fakeQuantizeBackward(
  x: Tensor,
  dy: Tensor,
  packed: Tensor,
  quantMin: number,
  quantMax: number,
  axis: number | null,
  reluMask = false,
): Tensor {
  return run(x, packed, dy, quantMin, quantMax, axis, reluMask);
}
