import copyWgsl from '../../../shaders/copy.wgsl?raw';
import { dispatch } from '../commands';
import { getPipeline } from '../pipelines';
import { Tensor } from '../tensor';
import { grid1d } from '../grid';

const WG = 256;

/** A copy of a float32 tensor (vec4 loads; the memory-bound limit for benchmarks). */
export function copy(x: Tensor): Tensor {
  x.assertLive('copy');
  const out = new Tensor(x.shape, x.dtype);
  const n4 = Math.ceil(x.byteSize / 16);
  const [gx, gy, stride] = grid1d(n4, WG);
  const pipeline = getPipeline('copy', () => copyWgsl, { WG });
  dispatch(pipeline, [x.buffer, out.buffer], [gx, gy], new Uint32Array([n4, stride]));
  return out;
}
