/**
 * Parameter initialisation as PyTorch does by default, from a seeded generator so a run is repeatable
 * (`manual_seed`). Conv and Linear weights: kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in);
 * biases: U(-1/√fan_in, 1/√fan_in).
 */
let state = 0x9e3779b9;

export function manual_seed(seed: number): void {
  state = seed >>> 0 || 0x9e3779b9;
}

/** mulberry32: small, fast, good enough for initialisation and shuffling. */
export function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export function uniform(n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * random();
  return out;
}

/** kaiming_uniform_ with a = √5 (PyTorch's default for Conv and Linear weights). */
export function kaimingUniformDefault(n: number, fanIn: number): Float32Array {
  const gain = Math.sqrt(2 / (1 + 5));
  const bound = Math.sqrt(3) * gain / Math.sqrt(fanIn);
  return uniform(n, -bound, bound);
}

export function biasUniform(n: number, fanIn: number): Float32Array {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(n, -bound, bound);
}
