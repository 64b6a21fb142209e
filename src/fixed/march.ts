/**
 * Target profiles for check_model, named after the Horizon toolchain's March values (`set_march`):
 *
 * - `bernoulli2` — an int8-only accelerator (Horizon's BERNOULLI2 is the RDK X3 / Journey 3 class BPU):
 *   int8 activations and weights, int32 only as the model's final high-precision output; small kernels
 *   and strides; no int16 anywhere.
 * - `bayes` — an int8/int16 accelerator (Horizon's BAYES is the RDK Ultra / Journey 5 class BPU): int8 or
 *   int16 activations, int8 or int16 weights, larger kernels and strides.
 *
 * The numbers are this playground's stand-ins, chosen to be plausible for such chips and to exercise
 * every kind of rule; they are not Horizon's published operator constraints (see the toolchain's
 * supported-operator list for those). Both profiles share the executor's lane rule: activations are
 * stored with channels padded to a multiple of 4, so other channel counts waste lanes.
 */
import type { IntegerOpKind } from './model';
import type { IntDType } from './types';

export type MarchName = 'bernoulli2' | 'bayes';

/** As in horizon_plugin_pytorch.march: March.BERNOULLI2, March.BAYES. */
export const March = { BERNOULLI2: 'bernoulli2', BAYES: 'bayes' } as const satisfies Record<string, MarchName>;

export interface KernelRule {
  /** Largest kernel height/width. */
  maxKernel: number;
  /** Allowed strides (per dimension). */
  strides: readonly number[];
  /** Largest dilation (conv only). */
  maxDilation?: number;
  maxPadding?: number;
}

export interface MarchProfile {
  name: MarchName;
  title: string;
  description: string;
  /** Ops the chip runs (the IntegerModel's op kinds). */
  ops: readonly IntegerOpKind[];
  /** Storage dtypes of activations (inputs and outputs of ops). */
  activationDtypes: readonly IntDType[];
  weightDtypes: readonly ('int8' | 'int16')[];
  /** int32 (high-precision) outputs: only where they leave the model. */
  int32Output: boolean;
  conv: KernelRule & { maxGroupsChannels?: number; maxChannels: number };
  pool: KernelRule;
  /** Largest fan-in (C/groups·KH·KW or K) of one output. */
  maxFanIn: number;
  /** Channels are stored in lanes of this many (the executor's NHWC layout pads to it). */
  channelAlignment: number;
  accumulatorBits: 32;
}

export const MARCH_PROFILES: Record<MarchName, MarchProfile> = {
  bernoulli2: {
    name: 'bernoulli2',
    title: 'BERNOULLI2 (int8-only)',
    description: 'An int8-only accelerator: int8 activations and weights, int32 only as the final output, kernels up to 7×7, strides 1 and 2.',
    ops: ['quantize', 'dequantize', 'conv2d', 'linear', 'add', 'concat', 'max_pool2d', 'avg_pool2d', 'requantize', 'flatten'],
    activationDtypes: ['int8'],
    weightDtypes: ['int8'],
    int32Output: true,
    conv: { maxKernel: 7, strides: [1, 2], maxDilation: 1, maxPadding: 3, maxChannels: 2048 },
    pool: { maxKernel: 4, strides: [1, 2, 4], maxPadding: 1 },
    maxFanIn: 65536,
    channelAlignment: 4,
    accumulatorBits: 32,
  },
  bayes: {
    name: 'bayes',
    title: 'BAYES (int8/int16)',
    description: 'An int8/int16 accelerator: int8 or int16 activations and weights, int32 final outputs, kernels up to 15×15, strides 1 to 4, dilation up to 4.',
    ops: ['quantize', 'dequantize', 'conv2d', 'linear', 'add', 'concat', 'max_pool2d', 'avg_pool2d', 'requantize', 'flatten'],
    activationDtypes: ['int8', 'int16'],
    weightDtypes: ['int8', 'int16'],
    int32Output: true,
    conv: { maxKernel: 15, strides: [1, 2, 3, 4], maxDilation: 4, maxPadding: 7, maxChannels: 8192 },
    pool: { maxKernel: 8, strides: [1, 2, 3, 4, 8], maxPadding: 3 },
    maxFanIn: 262144,
    channelAlignment: 4,
    accumulatorBits: 32,
  },
};

export function getMarch(march: MarchName | string): MarchProfile {
  const p = MARCH_PROFILES[march.toLowerCase() as MarchName];
  if (!p) throw new Error(`check_model: unknown march "${march}" (use ${Object.keys(MARCH_PROFILES).map((m) => `'${m}'`).join(' or ')})`);
  return p;
}

let current: MarchName = 'bayes';

/** As horizon_plugin_pytorch.march.set_march: the target check_model uses when none is given. */
export function set_march(march: MarchName | string): void {
  current = getMarch(march).name;
}

export function get_march(): MarchName {
  return current;
}
