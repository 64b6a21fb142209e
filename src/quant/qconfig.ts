/**
 * QConfig: how one op is quantized — the fake quantizers of its output (alias `activation`, PyTorch's
 * name), its weight, and optionally its input. Each is a factory (`FakeQuantize.with_args(...)`) that
 * prepare calls once per op, like PyTorch's QConfig of partial constructors.
 *
 * A missing output fake quantizer means a float output, except when `out_dtype` is 'qint32': the
 * high-precision output of a final conv/linear, which keeps its int32 accumulator after conversion.
 */
import { Module } from '../nn/module';
import type { QDType, QScheme } from './types';
import { FakeQuantizeBase, type FakeQuantizeArgs } from './fake_quantize';
import { FixedScaleObserver } from './observer_fixed';
import type { Factory } from './with_args';

export const qint8 = 'qint8' as const;
export const quint8 = 'quint8' as const;
export const qint16 = 'qint16' as const;
export const qint32 = 'qint32' as const;

/** A fake-quantize factory (`FakeQuantize.with_args({...})`): calling it makes a fresh fake quantizer. */
export type FakeQuantizeFactory = Factory<FakeQuantizeBase, FakeQuantizeArgs>;

/** What prepare and the check table know of a factory without running anything. */
export interface FakeQuantizeInfo {
  dtype: QDType;
  qscheme: QScheme | null;
  ch_axis: number | null;
  /** The observer's class name (MinMaxObserver, FixedScaleObserver, ...). */
  observer: string;
  /** A fixed scale (FixedScaleObserver), if any. */
  scale: number | null;
  /** The fake quantizer's class name (FakeQuantize, LearnableFakeQuantize). */
  fake_quant: string;
}

export interface QConfigArgs {
  /** The output fake quantizer (PyTorch's name; `output` wins if both are given). */
  activation?: FakeQuantizeFactory | null;
  output?: FakeQuantizeFactory | null;
  weight?: FakeQuantizeFactory | null;
  input?: FakeQuantizeFactory | null;
  /** 'qint32' asks for the high-precision output (no output fake quantizer; int32 after conversion). */
  out_dtype?: QDType | 'float32' | null;
}

export class QConfig {
  readonly output: FakeQuantizeFactory | null;
  readonly weight: FakeQuantizeFactory | null;
  readonly input: FakeQuantizeFactory | null;
  readonly high_precision_output: boolean;

  constructor(args: QConfigArgs = {}) {
    for (const key of Object.keys(args)) {
      if (!['activation', 'output', 'weight', 'input', 'out_dtype'].includes(key)) {
        throw new Error(`QConfig: unknown option '${key}' (options: activation/output, weight, input, out_dtype)`);
      }
    }
    for (const key of ['activation', 'output', 'weight', 'input'] as const) {
      const f = args[key];
      if (f !== undefined && f !== null && (typeof f !== 'function' || f instanceof Module)) {
        throw new Error(
          `QConfig: ${key} must be a fake-quantize factory such as FakeQuantize.with_args({...}), not an instance; got ${describeValue(f)}`,
        );
      }
    }
    this.output = args.output ?? args.activation ?? null;
    this.weight = args.weight ?? null;
    this.input = args.input ?? null;
    this.high_precision_output = args.out_dtype === 'qint32' && !this.output;
  }

  /** PyTorch's name for the output fake quantizer. */
  get activation(): FakeQuantizeFactory | null {
    return this.output;
  }

  /** The output dtype this qconfig gives an op: its fake quantizer's dtype, 'qint32' (high precision) or float. */
  get out_dtype(): QDType | 'float32' {
    if (this.output) return describeFakeQuantize(this.output).dtype;
    return this.high_precision_output ? 'qint32' : 'float32';
  }

  get weight_dtype(): QDType | 'float32' {
    return this.weight ? describeFakeQuantize(this.weight).dtype : 'float32';
  }

  toString(): string {
    const part = (f: FakeQuantizeFactory | null) => (f ? formatInfo(describeFakeQuantize(f)) : 'None');
    const out = this.high_precision_output ? 'qint32 (high precision)' : part(this.output);
    return `QConfig(output=${out}, weight=${part(this.weight)}${this.input ? `, input=${part(this.input)}` : ''})`;
  }
}

function describeValue(v: unknown): string {
  if (v instanceof Module) return `a ${v._typeName} instance`;
  if (v && typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return typeof v;
}

export function formatInfo(info: FakeQuantizeInfo): string {
  const scale = info.scale !== null ? `, scale=${info.scale}` : '';
  const axis = info.ch_axis !== null && info.qscheme?.startsWith('per_channel') ? `, ch_axis=${info.ch_axis}` : '';
  return `${info.fake_quant}(${info.observer}, ${info.dtype}${axis}${scale})`;
}

const cache = new WeakMap<FakeQuantizeFactory, FakeQuantizeInfo>();

/** dtype, qscheme, observer of a factory: read from a throwaway instance (a few tiny buffers), cached. */
export function describeFakeQuantize(factory: FakeQuantizeFactory): FakeQuantizeInfo {
  let info = cache.get(factory);
  if (info) return info;
  let fq: FakeQuantizeBase;
  try {
    fq = factory();
  } catch (e) {
    // A per-channel LearnableFakeQuantize needs its channel count, which prepare supplies per op.
    if (!factory.with_args) throw e;
    fq = factory.with_args({ channel_len: 1 } as Partial<FakeQuantizeArgs>)();
  }
  try {
    if (!(fq instanceof FakeQuantizeBase)) {
      throw new Error(`a qconfig factory made a ${describeValue(fq)}, not a fake quantizer: use FakeQuantize.with_args({...})`);
    }
    const observer = fq.activation_post_process;
    info = {
      dtype: fq.dtype,
      qscheme: fq.qscheme,
      ch_axis: fq.is_per_channel ? fq.ch_axis : null,
      observer: observer._typeName,
      scale: observer instanceof FixedScaleObserver ? ((factory.args as { scale?: number } | undefined)?.scale ?? 1) : null,
      fake_quant: fq._typeName,
    };
  } finally {
    fq.dispose();
  }
  cache.set(factory, info);
  return info;
}
