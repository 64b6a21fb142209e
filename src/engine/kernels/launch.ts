/**
 * Small helpers shared by the kernel wrappers: uniform packing and the usual 1-D launch.
 */
import { dispatch, type Binding } from '../commands';
import { getPipeline } from '../pipelines';
import { grid1d } from '../grid';

/** Packs 32-bit uniform fields in order (u32, i32 or f32), as a WGSL struct of scalars lays them out. */
export class Uniforms {
  private readonly words: number[] = [];
  private readonly kinds: ('u' | 'i' | 'f')[] = [];

  u32(...values: number[]): this {
    for (const v of values) {
      this.words.push(v);
      this.kinds.push('u');
    }
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) {
      this.words.push(v);
      this.kinds.push('i');
    }
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) {
      this.words.push(v);
      this.kinds.push('f');
    }
    return this;
  }

  /** Pads with zero words to a multiple of `n` words (vec4 alignment of a following array). */
  align(n: number): this {
    while (this.words.length % n !== 0) this.u32(0);
    return this;
  }

  /** Fields as `array<vec4<u32>, k>`: values padded with zeros to 4·k words. */
  u32Array(values: readonly number[], vec4Count: number): this {
    this.align(4);
    if (values.length > vec4Count * 4) throw new Error(`Uniforms.u32Array: ${values.length} values exceed ${vec4Count * 4}`);
    for (let i = 0; i < vec4Count * 4; i++) this.u32(values[i] ?? 0);
    return this;
  }

  build(): Uint32Array {
    const out = new ArrayBuffer(Math.max(16, Math.ceil(this.words.length / 4) * 16));
    const u = new Uint32Array(out);
    const i = new Int32Array(out);
    const f = new Float32Array(out);
    this.words.forEach((w, k) => {
      const kind = this.kinds[k];
      if (kind === 'f') f[k] = w;
      else if (kind === 'i') i[k] = w;
      else u[k] = w >>> 0;
    });
    return u;
  }
}

/** The workgroup size of the elementwise kernels. */
export const ELEMENTWISE_WG = 64;
/**
 * Elements each invocation of an elementwise kernel handles (its `override EPI`): SwiftShader pays a
 * fixed cost per invocation that dwarfs one load and store, so each invocation walks a short run.
 */
export const ELEMENTS_PER_INVOCATION = 16;

/**
 * Runs a kernel that walks `n` elements in runs of EPI per invocation, indexing invocations as
 * `gid.x + gid.y * params.stride`; `n` and `stride` are the first two uniform words (the rest follow
 * from `rest`).
 */
export function launch1d(
  key: string,
  wgsl: () => string,
  buffers: readonly Binding[],
  n: number,
  rest: (u: Uniforms) => Uniforms = (u) => u,
): void {
  const invocations = Math.ceil(n / ELEMENTS_PER_INVOCATION);
  const [gx, gy, stride] = grid1d(invocations, ELEMENTWISE_WG);
  const pipeline = getPipeline(key, wgsl, { WG: ELEMENTWISE_WG, EPI: ELEMENTS_PER_INVOCATION });
  dispatch(pipeline, buffers, [gx, gy], rest(new Uniforms().u32(n, stride)).build());
}

/**
 * Runs a kernel that moves four vec4s per invocation over the ceil(n / 4) vec4s of `n` floats (pooled
 * buffers are padded to 16 bytes, so the last vec4 may run past n). Uniforms start (n4, stride).
 */
export function launchVec4(
  key: string,
  wgsl: () => string,
  buffers: readonly Binding[],
  n: number,
  rest: (u: Uniforms) => Uniforms = (u) => u,
): void {
  const n4 = Math.ceil(n / 4);
  const [gx, gy, stride] = grid1d(Math.ceil(n4 / 4), ELEMENTWISE_WG);
  const pipeline = getPipeline(key, wgsl, { WG: ELEMENTWISE_WG });
  dispatch(pipeline, buffers, [gx, gy], rest(new Uniforms().u32(n4, stride)).build());
}

/**
 * Runs a kernel over `planes` planes of `perPlane` elements, each invocation walking a run of
 * `perInvocation` (EPI) elements of one plane (BN apply, pooling). Uniforms start (planes, stride,
 * runs), then `rest`.
 */
export function launchPlanes(
  key: string,
  wgsl: () => string,
  constants: Record<string, number>,
  buffers: readonly Binding[],
  planes: number,
  perPlane: number,
  rest: (u: Uniforms) => Uniforms,
  perInvocation = ELEMENTS_PER_INVOCATION,
): void {
  const runs = Math.ceil(perPlane / perInvocation);
  const [gx, gy, stride] = grid1d(planes * runs, ELEMENTWISE_WG);
  const pipeline = getPipeline(key, () => wgsl(), { WG: ELEMENTWISE_WG, ...(wgsl().includes('override EPI') ? { EPI: perInvocation } : {}), ...constants });
  dispatch(pipeline, buffers, [gx, gy], rest(new Uniforms().u32(planes, stride, runs)).build());
}
