/** Shared plumbing of the elementwise integer kernels: pipelines keyed by their constants, 1-D grids. */
import { dispatch, type Binding } from '../../engine/commands';
import { grid1d } from '../../engine/grid';
import { getPipeline } from '../../engine/pipelines';
import { integerShader } from './shaders';
import { packUniforms, type UniformValues } from './uniforms';

export const WG = 64;

/**
 * Dispatches `kernel` (WGSL with a `Params` uniform struct) over `total` invocations. `total` and the grid
 * `stride` are filled into the uniforms here.
 */
export function launch(
  name: string,
  kernel: string,
  constants: Record<string, number>,
  buffers: readonly Binding[],
  total: number,
  values: UniformValues,
): void {
  const all = { WG, ...constants };
  const key = `${name}:${Object.entries(all)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
  const pipeline = getPipeline(key, () => integerShader(null, kernel), all);
  const [gx, gy, stride] = grid1d(total, WG);
  dispatch(pipeline, buffers, [gx, gy], packUniforms(kernel, 'Params', { total, stride, ...values }));
}
