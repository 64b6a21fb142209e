/**
 * CPU references of softmax along a dimension and of mean cross-entropy over logits [N, C], forward and
 * backward, plus dropout's mask (the same PCG hash as dropout.wgsl, so masks compare exactly).
 */
export function softmaxCpu(x: Float32Array, shape: readonly number[], dim: number): Float32Array {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const D = shape[dim]!;
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const y = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number) => (o * D + d) * inner + i;
      let m = -Infinity;
      for (let d = 0; d < D; d++) m = Math.max(m, x[at(d)]!);
      let s = 0;
      for (let d = 0; d < D; d++) s += Math.exp(x[at(d)]! - m);
      for (let d = 0; d < D; d++) y[at(d)] = Math.exp(x[at(d)]! - m) / s;
    }
  }
  return y;
}

export function softmaxBackwardCpu(gy: Float32Array, y: Float32Array, shape: readonly number[], dim: number): Float32Array {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const D = shape[dim]!;
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const dx = new Float32Array(y.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number) => (o * D + d) * inner + i;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += gy[at(d)]! * y[at(d)]!;
      for (let d = 0; d < D; d++) dx[at(d)] = y[at(d)]! * (gy[at(d)]! - dot);
    }
  }
  return dx;
}

/** Mean cross-entropy and its logits gradient (for a loss gradient of `gy`). */
export function crossEntropyCpu(logits: Float32Array, N: number, C: number, target: Int32Array, gy = 1): { loss: number; dlogits: Float32Array; correct: number } {
  let total = 0;
  let correct = 0;
  const dlogits = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    let best = 0;
    for (let c = 0; c < C; c++) {
      if (logits[n * C + c]! > m) {
        m = logits[n * C + c]!;
        best = c;
      }
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[n * C + c]! - m);
    const t = target[n]!;
    total += m + Math.log(s) - logits[n * C + t]!;
    if (best === t) correct++;
    for (let c = 0; c < C; c++) dlogits[n * C + c] = ((Math.exp(logits[n * C + c]! - m) / s - (c === t ? 1 : 0)) * gy) / N;
  }
  return { loss: total / N, dlogits, correct };
}

function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Dropout of x with the kernel's hash: kept elements scaled by 1/(1-p). */
export function dropoutCpu(x: Float32Array, p: number, seed: number): Float32Array {
  const s = pcg(seed);
  const scale = Math.fround(1 / (1 - p));
  return x.map((v, i) => {
    const u = (pcg((i ^ s) >>> 0) >>> 8) / 16777216;
    return u >= Math.fround(p) ? Math.fround(v * scale) : 0;
  });
}
