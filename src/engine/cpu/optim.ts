/**
 * CPU references of one optimizer step (torch.optim.SGD, Adam, AdamW), in float64 over float32 data.
 */
export interface SgdCpuState {
  momentumBuffer: Float64Array | null;
}

export function sgdStepCpu(
  param: Float32Array,
  grad: Float32Array,
  state: SgdCpuState,
  o: { lr: number; momentum: number; dampening: number; weight_decay: number; nesterov: boolean },
): Float32Array {
  const out = new Float32Array(param.length);
  const first = state.momentumBuffer === null;
  if (o.momentum !== 0 && first) state.momentumBuffer = new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]! + o.weight_decay * param[i]!;
    if (o.momentum !== 0) {
      const buf = first ? g : o.momentum * state.momentumBuffer![i]! + (1 - o.dampening) * g;
      state.momentumBuffer![i] = buf;
      g = o.nesterov ? g + o.momentum * buf : buf;
    }
    out[i] = param[i]! - o.lr * g;
  }
  return out;
}

export interface AdamCpuState {
  step: number;
  m: Float64Array;
  v: Float64Array;
  vmax: Float64Array;
}

export function adamStepCpu(
  param: Float32Array,
  grad: Float32Array,
  state: AdamCpuState,
  o: { lr: number; betas: [number, number]; eps: number; weight_decay: number; amsgrad: boolean; decoupled: boolean },
): Float32Array {
  state.step++;
  const [b1, b2] = o.betas;
  const bc1 = 1 - b1 ** state.step;
  const bc2 = 1 - b2 ** state.step;
  const out = new Float32Array(param.length);
  for (let i = 0; i < param.length; i++) {
    let p = param[i]!;
    let g = grad[i]!;
    if (o.decoupled) p *= 1 - o.lr * o.weight_decay;
    else g += o.weight_decay * p;
    state.m[i] = b1 * state.m[i]! + (1 - b1) * g;
    state.v[i] = b2 * state.v[i]! + (1 - b2) * g * g;
    let v = state.v[i]!;
    if (o.amsgrad) {
      state.vmax[i] = Math.max(state.vmax[i]!, v);
      v = state.vmax[i]!;
    }
    out[i] = p - ((o.lr / bc1) * state.m[i]!) / (Math.sqrt(v) / Math.sqrt(bc2) + o.eps);
  }
  return out;
}
