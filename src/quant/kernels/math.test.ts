/** The shared WGSL float32 helpers (shaders/fake_quant_math.wgsl) against exact float64 references. */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { dispatch } from '../../engine/commands';
import { getPipeline } from '../../engine/pipelines';
import { Tensor } from '../../engine/tensor';
import { f32Bits, fmaF32 } from '../numerics/float32';
import { uniformBytes, withMath } from './wgsl';

beforeAll(async () => {
  await getTestDevice();
});

const harness = (expr: string) => `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * 65535u * 64u;
  if (i >= params.n) { return; }
  out[i] = ${expr};
}`;

async function run(name: string, expr: string, a: Float32Array, b: Float32Array, c: Float32Array): Promise<Float32Array> {
  const n = a.length;
  const out = new Tensor([n]);
  const pipeline = getPipeline(`math-test:${name}`, () => withMath(harness(expr)));
  const groups = Math.ceil(n / 64);
  dispatch(
    pipeline,
    [Tensor.fromArray(a, [n]).buffer, Tensor.fromArray(b, [n]).buffer, Tensor.fromArray(c, [n]).buffer, out.buffer],
    [Math.min(groups, 65535), Math.ceil(groups / 65535)],
    uniformBytes([['u32', n]]),
  );
  return (await out.read()) as Float32Array;
}

let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
function randomFloat(): number {
  // Wide exponent range, random significand and sign.
  return Math.fround((rand() < 0.5 ? -1 : 1) * (1 + rand()) * 2 ** Math.floor(rand() * 40 - 20));
}

function firstMismatch(got: Float32Array, want: number[]): string | null {
  for (let i = 0; i < want.length; i++) if (f32Bits(got[i]!) !== f32Bits(want[i]!)) return `${i}: got ${got[i]}, want ${want[i]}`;
  return null;
}

describe('WGSL float32 helpers', () => {
  it('cr_div is correctly rounded', async () => {
    const n = 200_000;
    const a = new Float32Array(n).map(randomFloat);
    const b = new Float32Array(n).map(randomFloat);
    b[0] = 127.5;
    a[0] = 8.540653228759766;
    const got = await run('div', 'select(cr_div(a[i], b[i]), c[i], params.n == 0u)', a, b, a);
    expect(firstMismatch(got, Array.from(a, (v, i) => Math.fround(v / b[i]!)))).toBeNull();
  });

  it('exact_fma rounds a * b + c once, cancellations included', async () => {
    const n = 300_000;
    const a = new Float32Array(n).map(randomFloat);
    const b = new Float32Array(n).map(randomFloat);
    const c = new Float32Array(n).map((_, i) => {
      const k = i % 4;
      const p = a[i]! * b[i]!;
      if (k === 0) return randomFloat();
      if (k === 1) return -Math.fround(p); // the product's rounding error
      if (k === 2) return Math.fround(-p * (1 + (rand() - 0.5) * 1e-6)); // deep cancellation
      return Math.fround(p * 2 ** Math.floor(rand() * 60 - 30)); // far apart exponents
    });
    // LSQ's own shape: (integer) * scale - x with x near the product, and x * (1/scale) + zero point.
    for (let i = 0; i < 1000; i++) {
      const s = Math.fround(0.001 + rand() * 0.1);
      const k = Math.floor(rand() * 256) - 128 || 1;
      a[i] = k;
      b[i] = s;
      c[i] = -Math.fround(k * s + (rand() - 0.5) * s);
    }
    const got = await run('fma', 'exact_fma(a[i], b[i], c[i])', a, b, c);
    expect(firstMismatch(got, Array.from(a, (v, i) => fmaF32(v, b[i]!, c[i]!)))).toBeNull();
  });
});
