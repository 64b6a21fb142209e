/**
 * CPU references of batch norm (NCHW, per channel; training with batch statistics and running-stat
 * update, or evaluation) and layer norm, forward and backward, in float64.
 */
export interface BatchNormCpuResult {
  y: Float32Array;
  mean: Float64Array;
  invstd: Float64Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

export function batchNormCpu(
  x: Float32Array,
  shape: readonly number[],
  runningMean: Float32Array,
  runningVar: Float32Array,
  weight: Float32Array | null,
  bias: Float32Array | null,
  training: boolean,
  momentum: number,
  eps: number,
): BatchNormCpuResult {
  const [N, C] = shape as [number, number];
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * HW;
  const mean = new Float64Array(C);
  const invstd = new Float64Array(C);
  const rm = Float32Array.from(runningMean);
  const rv = Float32Array.from(runningVar);
  for (let c = 0; c < C; c++) {
    if (training) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < HW; p++) s += x[(n * C + c) * HW + p]!;
      const m = s / M;
      let v = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < HW; p++) v += (x[(n * C + c) * HW + p]! - m) ** 2;
      mean[c] = m;
      invstd[c] = 1 / Math.sqrt(v / M + eps);
      rm[c] = (1 - momentum) * runningMean[c]! + momentum * m;
      rv[c] = (1 - momentum) * runningVar[c]! + momentum * (M > 1 ? v / (M - 1) : v / M);
    } else {
      mean[c] = runningMean[c]!;
      invstd[c] = 1 / Math.sqrt(runningVar[c]! + eps);
    }
  }
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / HW) % C;
    y[i] = (x[i]! - mean[c]!) * invstd[c]! * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
  }
  return { y, mean, invstd, runningMean: rm, runningVar: rv };
}

export function batchNormBackwardCpu(
  gy: Float32Array,
  x: Float32Array,
  shape: readonly number[],
  mean: Float64Array,
  invstd: Float64Array,
  weight: Float32Array | null,
  training: boolean,
): { dx: Float32Array; dweight: Float32Array; dbias: Float32Array } {
  const [N, C] = shape as [number, number];
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * HW;
  const sg = new Float64Array(C);
  const sgx = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / HW) % C;
    sg[c] += gy[i]!;
    sgx[c] += gy[i]! * (x[i]! - mean[c]!) * invstd[c]!;
  }
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / HW) % C;
    const scale = (weight ? weight[c]! : 1) * invstd[c]!;
    const xhat = (x[i]! - mean[c]!) * invstd[c]!;
    dx[i] = training ? scale * (gy[i]! - sg[c]! / M - (xhat * sgx[c]!) / M) : scale * gy[i]!;
  }
  return { dx, dweight: Float32Array.from(sgx), dbias: Float32Array.from(sg) };
}

export function layerNormCpu(
  x: Float32Array,
  D: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
): { y: Float32Array; mean: Float64Array; rstd: Float64Array } {
  const rows = x.length / D;
  const y = new Float32Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += x[r * D + i]!;
    const m = s / D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[r * D + i]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / D + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let i = 0; i < D; i++) y[r * D + i] = (x[r * D + i]! - m) * rs * (weight ? weight[i]! : 1) + (bias ? bias[i]! : 0);
  }
  return { y, mean, rstd };
}

export function layerNormBackwardCpu(
  gy: Float32Array,
  x: Float32Array,
  D: number,
  weight: Float32Array | null,
  mean: Float64Array,
  rstd: Float64Array,
): { dx: Float32Array; dweight: Float32Array; dbias: Float32Array } {
  const rows = x.length / D;
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(D);
  const db = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let sg = 0;
    let sgx = 0;
    for (let i = 0; i < D; i++) {
      const xhat = (x[r * D + i]! - mean[r]!) * rstd[r]!;
      const g = gy[r * D + i]! * (weight ? weight[i]! : 1);
      sg += g;
      sgx += g * xhat;
      dw[i] += gy[r * D + i]! * xhat;
      db[i] += gy[r * D + i]!;
    }
    for (let i = 0; i < D; i++) {
      const xhat = (x[r * D + i]! - mean[r]!) * rstd[r]!;
      const g = gy[r * D + i]! * (weight ? weight[i]! : 1);
      dx[r * D + i] = rstd[r]! * (g - sg / D - (xhat * sgx) / D);
    }
  }
  return { dx, dweight: Float32Array.from(dw), dbias: Float32Array.from(db) };
}
