import copyWgsl from '../../../shaders/copy.wgsl?raw';
import { dispatch } from '../commands';
import { deviceAdapter } from '../device';
import { getPipeline } from '../pipelines';
import { Tensor } from '../tensor';
import { grid1d } from '../grid';

/**
 * Launch shapes: an invocation per vec4 on GPUs; on software adapters (whose fixed cost per invocation
 * dominates) runs of 32 vec4s shared by 4 interleaved invocations, the fake quantizer's shape, so the
 * benchmarks compare it with the best copy this adapter runs, not a handicapped one.
 */
const LAUNCH = {
  gpu: { wg: 256, epi: 1, lanes: 1 },
  software: { wg: 64, epi: 32, lanes: 4 },
};
let launchOverride: { wg: number; epi: number; lanes: number } | null = null;

/** Overrides the launch shape (null: per adapter): for tuning scripts and the parity test. */
export function setCopyLaunch(launch: { wg: number; epi: number; lanes: number } | null): void {
  launchOverride = launch;
}

/** A copy of a float32 tensor (vec4 loads; the memory-bound limit for benchmarks). */
export function copy(x: Tensor): Tensor {
  x.assertLive('copy');
  const out = new Tensor(x.shape, x.dtype);
  const n4 = Math.ceil(x.byteSize / 16);
  const { wg, epi, lanes } = launchOverride ?? LAUNCH[deviceAdapter().software ? 'software' : 'gpu'];
  const [gx, gy, stride] = grid1d(Math.ceil(n4 / epi), wg);
  const pipeline = getPipeline(`copy:${wg}x${epi}x${lanes}`, () => copyWgsl, { WG: wg, EPI: epi, LANES: lanes });
  dispatch(pipeline, [x.buffer, out.buffer], [gx, gy], new Uint32Array([n4, stride]));
  return out;
}
