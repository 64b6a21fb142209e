/**
 * QAT modules: what prepare swaps in for a float module that has a qconfig. A QAT module is the float
 * module (same parameters and buffers, same state_dict keys) plus fake quantizers as children:
 * `weight_fake_quant` (conv/linear weights), `activation_post_process` (the output) and, when the qconfig
 * asks for it, `input_fake_quant`. Names follow PyTorch, so a checkpoint reads `conv1.weight_fake_quant.scale`.
 *
 * Fused conv + BN in QAT folds the BN into the weight before fake quantization (PyTorch's
 * `_forward_approximate`): the conv runs with w·γ/σ (σ the running std), its output is divided back by
 * γ/σ and the BN runs on it — with batch statistics while training, with running statistics when frozen
 * (`freeze_bn`) or in eval mode, which is then exactly the conv with BN folded in.
 */
import { F } from '../engine/functional';
import { Tensor, keep } from '../engine/tensor';
import { record } from '../engine/autograd';
import { batchNormApply, batchNormEvalStats, batchNormStats } from '../engine/kernels/norm';
import type { Module } from '../nn/module';
import * as nn from '../nn/index';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import { ReLU6 } from '../nn/activation';
import { registerLeafModule } from '../graph/leaf';
import { binary, unary } from '../engine/kernels/elementwise';
import { shallowCloneModule } from '../graph/clone';

export interface QatParts {
  weight_fake_quant?: Module | null;
  activation_post_process?: Module | null;
  input_fake_quant?: Module | null;
}

/** Fields every QAT module has (null when the qconfig does not quantize that part). */
export interface QatModule extends Module {
  weight_fake_quant: Module | null;
  activation_post_process: Module | null;
  input_fake_quant: Module | null;
  /** The float module this one was made from. */
  readonly _float_type: string;
}

export function isQatModule(m: Module): m is QatModule {
  return qatClasses.has(Object.getPrototypeOf(m)?.constructor);
}

function fq(m: QatModule, x: Tensor, part: 'input_fake_quant' | 'activation_post_process'): Tensor {
  const q = m[part];
  return q ? (q(x) as Tensor) : x;
}

function inputs<T>(m: QatModule, args: T[]): T[] {
  if (!m.input_fake_quant) return args;
  return args.map((a) => (a instanceof Tensor ? (m.input_fake_quant!(a) as T) : a));
}

function weightFq(m: QatModule, w: Tensor): Tensor {
  return m.weight_fake_quant ? (m.weight_fake_quant(w) as Tensor) : w;
}

/** The fused conv's QAT forward (see the file comment for the BN folding). */
function fusedConvForward(this: FusedConv2d & QatModule, x: Tensor, y?: Tensor): Tensor {
  [x, y] = inputs(this, [x, y]) as [Tensor, Tensor | undefined];
  const conv = this.conv;
  const options = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
  let out: Tensor;
  if (this.bn) {
    const bn = this.bn;
    const C = conv.out_channels;
    // k = γ/σ_running per output channel, outside autograd: the conv runs with the folded weight W·k and
    // its output is scaled back by 1/k, so W's gradient is the unfolded conv's (through the STE) and γ
    // gets its gradient from the BN itself (the k and 1/k paths cancel but for the fake-quant error).
    const std = unary('sqrt', unary('affine', bn.running_var, 1, bn.eps));
    const gamma = bn.weight ?? constantVector(1, C);
    const k = binary('div', gamma, std);
    const kInverse = binary('div', std, gamma);
    const raw = F.conv2d(x, weightFq(this, F.mul(conv.weight, F.reshape(k, [C, 1, 1, 1]))), null, options);
    const unscaled = channelAffine(raw, kInverse, conv.bias);
    const training = this.training && !(this as { freeze_bn?: boolean }).freeze_bn;
    if (this.relu && !(this.relu instanceof ReLU6) && !this.hasAdd) {
      return fq(this, batchNormRelu(unscaled, bn, training), 'activation_post_process');
    }
    out = F.batch_norm(unscaled, bn.running_mean, bn.running_var, bn.weight, bn.bias, {
      training,
      momentum: bn.momentum,
      eps: bn.eps,
    });
  } else {
    out = F.conv2d(x, weightFq(this, conv.weight), conv.bias, options);
  }
  if (this.hasAdd) {
    if (!y) throw new Error(`${this._typeName}: forward needs the tensor to add as its second input`);
    out = F.add(out, y);
  }
  if (this.relu) out = this.relu instanceof ReLU6 ? F.relu6(out) : F.relu(out);
  return fq(this, out, 'activation_post_process');
}

function fusedLinearForward(this: FusedLinear & QatModule, x: Tensor, y?: Tensor): Tensor {
  [x, y] = inputs(this, [x, y]) as [Tensor, Tensor | undefined];
  let out = F.linear(x, weightFq(this, this.linear.weight), this.linear.bias);
  if (this.hasAdd) {
    if (!y) throw new Error(`${this._typeName}: forward needs the tensor to add as its second input`);
    out = F.add(out, y);
  }
  if (this.relu) out = this.relu instanceof ReLU6 ? F.relu6(out) : F.relu(out);
  return fq(this, out, 'activation_post_process');
}

/**
 * relu(F.batch_norm(x, ...)) with the ReLU in the batch-norm kernel (one pass less), recorded as one op
 * whose backward is the ReLU's then the batch norm's (a following fake quantizer takes both masks in its
 * own backward kernel: backward.ts).
 */
export function batchNormRelu(x: Tensor, bn: nn.BatchNorm2d, training: boolean): Tensor {
  const C = bn.num_features;
  if (x.rank < 2 || x.shape[1] !== C) throw new Error(`${bn._typeName}: input [${x.shape.join(', ')}] does not have ${C} channels`);
  if (training && x.numel / C <= 1) throw new Error(`batch_norm: expected more than 1 value per channel when training, got input [${x.shape.join(', ')}]`);
  const stats = training
    ? batchNormStats(x, bn.running_mean, bn.running_var, bn.momentum, bn.eps, true)
    : batchNormEvalStats(bn.running_mean, bn.running_var, bn.eps);
  const weight = bn.weight ?? constantVector(1, C);
  const y = batchNormApply(x, stats, weight, bn.bias ?? constantVector(0, C), true);
  return record('batch_norm_relu', [x, bn.weight, bn.bias], y, { x, stats, weight, training, y });
}

/**
 * x·scale[c] + bias[c] on NCHW (scale outside autograd): the batch-norm apply kernel with mean 0 and
 * 1/σ = 1, recorded as an eval-mode batch_norm (dx = gy·scale, dbias = Σ gy). Broadcast mul/add over the
 * whole activation cost several times more on the software adapter.
 */
function channelAffine(x: Tensor, scale: Tensor, bias: Tensor | null): Tensor {
  const C = scale.numel;
  const key = `unit-stats/${C}`;
  constants ??= new Map();
  let stats = constants.get(key);
  if (!stats || stats.isDisposed) {
    stats = keep(Tensor.fromArray([...new Array<number>(C).fill(0), ...new Array<number>(C).fill(1)], [2, C]));
    constants.set(key, stats);
  }
  const y = batchNormApply(x, stats, scale, bias ?? constantVector(0, C));
  return record('batch_norm', [x, null, bias], y, { x, stats, weight: scale, training: false });
}

let constants: Map<string, Tensor> | null = null;

/** A small constant vector (γ = 1 of a BN without affine), made once. */
function constantVector(value: number, n: number): Tensor {
  constants ??= new Map();
  const key = `${value}/${n}`;
  let t = constants.get(key);
  if (!t || t.isDisposed) {
    t = nn.Parameter(new Float32Array(n).fill(value), [n]);
    t.requiresGrad = false;
    constants.set(key, t);
  }
  return t;
}

const FLOAT_FUNCTIONAL_OPS = ['_add', '_sub', '_mul', '_cat', '_matmul', '_add_scalar', '_mul_scalar'] as const;

const qatClasses = new Map<unknown, new () => Module>();
const byFloatClass = new Map<unknown, new () => Module>();

type AnyClass = abstract new (...args: never[]) => Module;

/** The QAT class of a float module class (made once per class, named like it, registered as a leaf). */
function qatClassOf(floatClass: AnyClass): new () => Module {
  const cached = byFloatClass.get(floatClass);
  if (cached) return cached;
  const Base = floatClass as unknown as new () => Module;
  let cls: new () => Module;
  if (floatClass.prototype instanceof FusedConv2d) {
    cls = class extends Base {
      override forward(...args: unknown[]): unknown {
        return fusedConvForward.apply(this as unknown as FusedConv2d & QatModule, args as [Tensor, Tensor?]);
      }
    };
  } else if (floatClass.prototype instanceof FusedLinear) {
    cls = class extends Base {
      override forward(...args: unknown[]): unknown {
        return fusedLinearForward.apply(this as unknown as FusedLinear & QatModule, args as [Tensor, Tensor?]);
      }
    };
  } else if (floatClass === nn.Conv2d || floatClass.prototype instanceof nn.Conv2d) {
    cls = class extends Base {
      override forward(x: Tensor): Tensor {
        const self = this as unknown as nn.Conv2d & QatModule;
        [x] = inputs(self, [x]);
        const options = { stride: self.stride, padding: self.padding, dilation: self.dilation, groups: self.groups };
        return fq(self, F.conv2d(x, weightFq(self, self.weight), self.bias, options), 'activation_post_process');
      }
    };
  } else if (floatClass === nn.Linear || floatClass.prototype instanceof nn.Linear) {
    cls = class extends Base {
      override forward(x: Tensor): Tensor {
        const self = this as unknown as nn.Linear & QatModule;
        [x] = inputs(self, [x]);
        return fq(self, F.linear(x, weightFq(self, self.weight), self.bias), 'activation_post_process');
      }
    };
  } else if (floatClass === nn.FloatFunctional || floatClass.prototype instanceof nn.FloatFunctional) {
    const proto: Record<string, unknown> = {};
    cls = class extends Base {};
    for (const op of FLOAT_FUNCTIONAL_OPS) {
      const floatOp = (floatClass.prototype as unknown as Record<string, (...a: unknown[]) => Tensor>)[op]!;
      proto[op] = function (this: QatModule, ...args: unknown[]) {
        return fq(this, floatOp.apply(this, inputs(this, args)), 'activation_post_process');
      };
    }
    Object.assign(cls.prototype, proto);
  } else {
    // QuantStub, LayerNorm, BatchNorm2d, pools, Softmax: the float op, then the output fake quantizer.
    cls = class extends Base {
      override forward(...args: unknown[]): unknown {
        const self = this as unknown as QatModule;
        const out = (floatClass.prototype as Module).forward.apply(self, inputs(self, args));
        return fq(self, out as Tensor, 'activation_post_process');
      }
    };
  }
  Object.defineProperty(cls, 'name', { value: floatClass.name });
  registerLeafModule(cls);
  qatClasses.set(cls, cls);
  byFloatClass.set(floatClass, cls);
  return cls;
}

/**
 * The QAT version of a float module: a new module object of the QAT class holding the float module's
 * attributes (its parameters and buffers are shared, not copied) and the given fake quantizers.
 */
export function toQat(float: Module, parts: QatParts): QatModule {
  const cls = qatClassOf(Object.getPrototypeOf(float).constructor as AnyClass);
  const self = shallowCloneModule<QatModule>(float, cls.prototype);
  Object.defineProperty(self, '_float_type', { value: float._typeName, enumerable: false });
  const record = self as unknown as Record<string, unknown>;
  record.weight_fake_quant = parts.weight_fake_quant ?? null;
  record.input_fake_quant = parts.input_fake_quant ?? null;
  record.activation_post_process = parts.activation_post_process ?? null;
  if (cls.prototype instanceof FusedConv2d) record.freeze_bn = false;
  return self;
}

/** Stops BN statistics updates of fused QAT conv+BN modules (PyTorch's freeze_bn_stats). */
export function freeze_bn_stats(model: Module, freeze = true): void {
  for (const m of model.modules()) {
    if (m instanceof FusedConv2d && isQatModule(m) && m.bn) (m as unknown as { freeze_bn: boolean }).freeze_bn = freeze;
  }
}
