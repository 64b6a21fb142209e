/**
 * Second passes of split reductions.
 */
import sumSplitsWgsl from '../../../shaders/sum_splits.wgsl?raw';
import { Tensor, type Shape } from '../tensor';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';
import { Uniforms } from './launch';

const WG = 64;

/** out[g, e] = Σ_s partial[g, s, e] for a partial result laid out [G, S, E]; shaped `shape`. */
export function sumSplits(partial: Tensor, G: number, S: number, E: number, shape: Shape): Tensor {
  if (partial.numel !== G * S * E) throw new Error(`sumSplits: [${G}, ${S}, ${E}] does not match ${partial.numel} elements`);
  const out = new Tensor(shape);
  if (out.numel !== G * E) throw new Error(`sumSplits: output [${shape.join(', ')}] is not ${G} × ${E}`);
  const [gx, gy, stride] = grid1d(G * E, WG);
  const pipeline = getPipeline('sum_splits', () => sumSplitsWgsl, { WG });
  dispatch(pipeline, [partial.buffer, out.buffer], [gx, gy], new Uniforms().u32(G * E, stride, S, E).build());
  return out;
}
