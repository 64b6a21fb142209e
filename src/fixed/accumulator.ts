/**
 * How large a conv/linear accumulator can get: the worst case of |Σ (x − z_x)(w − z_w)| over any input in
 * the input dtype's range, per output channel, with the bias. int8 × int8 stays far inside int32 for any
 * practical fan-in; int16 activations × int16 weights overflow it at a fan-in of a few (the accumulator
 * wraps, as a chip's would), which check_model reports and convert notes.
 */
import type { Conv2dOp, IntValueInfo, LinearOp } from './model';
import { INT_RANGE } from './types';

export interface AccumulatorBound {
  /** Products summed per output (C/groups · KH · KW, or K). */
  fanIn: number;
  /** Largest worst-case |accumulator| over the output channels (bias included). */
  worst: number;
  /** Output channel where it occurs. */
  channel: number;
  overflows: boolean;
}

export function accumulatorBound(op: Conv2dOp | LinearOp, input: IntValueInfo): AccumulatorBound {
  const outChannels = op.weightShape[0];
  const fanIn = op.weight.length / outChannels;
  const [lo, hi] = INT_RANGE[input.dtype === 'int16' ? 'int16' : 'int8'];
  const z = input.zeroPoint ?? 0;
  const xMax = Math.max(hi - z, z - lo);
  let worst = 0;
  let channel = 0;
  for (let c = 0; c < outChannels; c++) {
    const zw = op.weightZeroPoint.length === 1 ? op.weightZeroPoint[0] : op.weightZeroPoint[c];
    let sum = 0;
    for (let i = 0; i < fanIn; i++) sum += Math.abs(op.weight[c * fanIn + i] - zw);
    const bound = xMax * sum + Math.abs(op.bias ? op.bias[c] : 0);
    if (bound > worst) {
      worst = bound;
      channel = c;
    }
  }
  return { fanIn, worst, channel, overflows: worst > 2147483647 };
}
