/**
 * Golden checks on the WGSL kernels: the same cases and tolerances as the CPU reference's
 * (numerics/golden_cpu.ts), run through the GPU paths the playground uses (the observer and fake-quantize
 * classes, the LSQ kernels). Needs the engine's device (setDevice).
 */
import { Tensor, tidy } from '../../engine/tensor';
import type { GoldenFakeQuantize, GoldenLearnableFakeQuantize, GoldenObserver } from '../numerics/golden_format';
import { bitsEqual, verdict, type Comparison } from '../numerics/golden_compare';
import { compareLsq, compareObserver, type LsqOutcome, type ObserverOutcome, type ResolvedObserver } from '../numerics/golden_cpu';
import { lsqGradFactor } from '../numerics/lsq';
import { OBSERVER_CLASSES, type ObserverArgs, type ObserverBase } from '../observer';
import { fakeQuantizeBackward, fakeQuantizeForward, packQParamsInto } from './fake_quantize';
import { lsqBackward, lsqForward } from './lsq';

export async function checkFakeQuantizeGpu(c: GoldenFakeQuantize): Promise<Comparison> {
  const perChannel = c.kind === 'per_channel';
  const shape = perChannel ? c.shape : [c.x.length];
  const scales = perChannel ? c.scale : [c.scale];
  const zps = perChannel ? c.zero_point : [c.zero_point];
  const axis = perChannel ? c.axis : null;
  const [y, dx] = tidy(() => {
    const x = Tensor.fromArray(c.x, shape);
    const packed = packQParamsInto(Tensor.fromArray(scales, [scales.length]), Tensor.fromArray(zps, [zps.length], 'int32'), null);
    const dy = Tensor.fromArray(new Float32Array(c.x.length).fill(1), shape);
    return [fakeQuantizeForward(x, packed, c.quant_min, c.quant_max, axis), fakeQuantizeBackward(x, dy, packed, c.quant_min, c.quant_max, axis)];
  });
  const result = verdict([bitsEqual('y', await y.read(), c.y), bitsEqual('dx', await dx.read(), c.dx)]);
  y.dispose();
  dx.dispose();
  return result;
}

/** The observer a golden case names, built by its class from the case's options. */
export function makeObserver(c: GoldenObserver): ObserverBase {
  const Cls = OBSERVER_CLASSES[c.observer];
  if (!Cls) throw new Error(`observer '${c.observer}' is not one of ${Object.keys(OBSERVER_CLASSES).join(', ')}`);
  const { cls: _cls, ...options } = c.config;
  return new Cls(options as Partial<ObserverArgs>);
}

/** The resolved options of a case's observer (what the CPU reference needs), from the class itself. */
export function resolveObserver(c: GoldenObserver): ResolvedObserver {
  const obs = makeObserver(c) as ObserverBase & Partial<Record<'averaging_constant' | 'bins' | 'upsample_rate' | 'stride' | 'percentile' | 'dst_nbins', number | null>>;
  const resolved: ResolvedObserver = {
    qparams: obs.qparamsConfig,
    ch_axis: obs.ch_axis,
    averaging_constant: obs.averaging_constant ?? null,
    bins: obs.bins ?? 2048,
    upsample_rate: obs.upsample_rate ?? 128,
    stride: obs.stride ?? 1,
    percentile: obs.percentile ?? 99.99,
    dst_nbins: obs.dst_nbins ?? 256,
  };
  obs.dispose();
  return resolved;
}

export async function runObserverGpu(c: GoldenObserver): Promise<ObserverOutcome> {
  const obs = makeObserver(c);
  try {
    for (const b of c.batches) tidy(() => obs(Tensor.fromArray(b.data, b.shape)));
    const [scale, zp] = obs.calculate_qparams();
    const state = obs.state_dict();
    const out: ObserverOutcome = {
      min_val: await state.get('min_val')!.read(),
      max_val: await state.get('max_val')!.read(),
      scale: await scale.read(),
      zero_point: await zp.read(),
    };
    scale.dispose();
    zp.dispose();
    return out;
  } finally {
    obs.dispose();
  }
}

export async function checkObserverGpu(c: GoldenObserver): Promise<Comparison> {
  return compareObserver(c, await runObserverGpu(c));
}

export async function runLsqGpu(c: GoldenLearnableFakeQuantize): Promise<LsqOutcome> {
  const perChannel = c.shape !== undefined && c.axis !== undefined;
  const shape = perChannel ? c.shape! : [c.x.length];
  const scales = perChannel ? (c.scale as number[]) : [c.scale as number];
  const zps = perChannel ? (c.zero_point as number[]) : [c.zero_point as number];
  const axis = perChannel ? c.axis! : null;
  const gf = lsqGradFactor(c.x.length, c.quant_max, c.use_grad_scaling);
  const out = tidy(() => {
    const x = Tensor.fromArray(c.x, shape);
    const dy = Tensor.fromArray(c.dy, shape);
    const scale = Tensor.fromArray(scales, [scales.length]);
    const zp = Tensor.fromArray(zps, [zps.length]);
    const g = lsqBackward(x, dy, scale, zp, c.quant_min, c.quant_max, axis, gf);
    return [lsqForward(x, scale, zp, c.quant_min, c.quant_max, axis), g.dx, g.dscale, g.dzero_point];
  });
  const [y, dx, dscale, dzp] = await Promise.all(out.map((t) => t.read()));
  for (const t of out) t.dispose();
  return { y: y!, dx: dx!, dscale: dscale!, dzero_point: dzp! };
}

export async function checkLsqGpu(c: GoldenLearnableFakeQuantize): Promise<Comparison> {
  return compareLsq(c, await runLsqGpu(c));
}
