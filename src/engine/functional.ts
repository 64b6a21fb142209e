/**
 * The functional ops the modules call, mirroring torch.nn.functional (names and options). Each op runs a
 * WGSL kernel, records its backward on the autograd tape, and has a CPU reference in engine/cpu/.
 *
 * Positional arguments are PyTorch's required ones; keyword arguments go in an options object.
 */
import type { Tensor } from './tensor';

export type IntPair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
}

export interface Pool2dOptions {
  stride?: IntPair | null;
  padding?: IntPair;
}

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
}

function notYet(op: string): never {
  throw new Error(`${op}: not implemented in the engine yet`);
}

/* eslint-disable @typescript-eslint/no-unused-vars */
export const F = {
  conv2d(_x: Tensor, _weight: Tensor, _bias: Tensor | null, _options: Conv2dOptions = {}): Tensor {
    return notYet('conv2d');
  },
  linear(_x: Tensor, _weight: Tensor, _bias: Tensor | null): Tensor {
    return notYet('linear');
  },
  /** Normalizes over channel dim 1; in training, uses batch statistics and updates the running ones in place. */
  batch_norm(
    _x: Tensor,
    _runningMean: Tensor,
    _runningVar: Tensor,
    _weight: Tensor | null,
    _bias: Tensor | null,
    _options: BatchNormOptions,
  ): Tensor {
    return notYet('batch_norm');
  },
  layer_norm(_x: Tensor, _normalizedShape: readonly number[], _weight: Tensor | null, _bias: Tensor | null, _eps = 1e-5): Tensor {
    return notYet('layer_norm');
  },
  relu(_x: Tensor): Tensor {
    return notYet('relu');
  },
  relu6(_x: Tensor): Tensor {
    return notYet('relu6');
  },
  max_pool2d(_x: Tensor, _kernelSize: IntPair, _options: Pool2dOptions = {}): Tensor {
    return notYet('max_pool2d');
  },
  avg_pool2d(_x: Tensor, _kernelSize: IntPair, _options: Pool2dOptions = {}): Tensor {
    return notYet('avg_pool2d');
  },
  adaptive_avg_pool2d(_x: Tensor, _outputSize: IntPair): Tensor {
    return notYet('adaptive_avg_pool2d');
  },
  dropout(_x: Tensor, _p: number, _training: boolean): Tensor {
    return notYet('dropout');
  },
  softmax(_x: Tensor, _dim: number): Tensor {
    return notYet('softmax');
  },
  /** Mean cross-entropy of logits [N, C] against int32 class indices [N]. */
  cross_entropy(_logits: Tensor, _target: Tensor): Tensor {
    return notYet('cross_entropy');
  },
  add(_a: Tensor, _b: Tensor): Tensor {
    return notYet('add');
  },
  mul(_a: Tensor, _b: Tensor): Tensor {
    return notYet('mul');
  },
  matmul(_a: Tensor, _b: Tensor): Tensor {
    return notYet('matmul');
  },
  cat(_xs: readonly Tensor[], _dim: number): Tensor {
    return notYet('cat');
  },
  flatten(_x: Tensor, _startDim = 0, _endDim = -1): Tensor {
    return notYet('flatten');
  },
  reshape(_x: Tensor, _shape: readonly number[]): Tensor {
    return notYet('reshape');
  },
  permute(_x: Tensor, _dims: readonly number[]): Tensor {
    return notYet('permute');
  },
};

export function pair(v: IntPair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
