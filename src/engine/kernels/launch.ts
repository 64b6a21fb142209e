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
export const ELEMENTWISE_WG = 256;

/**
 * Runs a kernel whose WGSL indexes `gid.x + gid.y * params.stride` over `n` elements, with `n` and
 * `stride` as the first two uniform words (the rest follow from `rest`).
 */
export function launch1d(
  key: string,
  wgsl: () => string,
  buffers: readonly Binding[],
  n: number,
  rest: (u: Uniforms) => Uniforms = (u) => u,
): void {
  const [gx, gy, stride] = grid1d(n, ELEMENTWISE_WG);
  const pipeline = getPipeline(key, wgsl, { WG: ELEMENTWISE_WG });
  dispatch(pipeline, buffers, [gx, gy], rest(new Uniforms().u32(n, stride)).build());
}
