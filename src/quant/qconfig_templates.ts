/**
 * get_qconfig and the ready-made qconfigs, as the Horizon toolchain has them:
 * - activations (input/output) per tensor, symmetric for qint8/qint16 (affine for quint8), observed by
 *   the given observer (MinMaxObserver as a moving average with averaging_constant 0.01; with
 *   `fix_scale` the constant is 0, so the scale found by calibration does not move during QAT);
 * - weights per output channel (ch_axis 0), symmetric, from the current weights each step
 *   (MovingAveragePerChannelMinMaxObserver with averaging_constant 1, Horizon's recommendation);
 * - `out_dtype: qint32` is the high-precision output of a final conv/linear.
 */
import { FakeQuantize, type FakeQuantizeArgs, type ObserverClassOrFactory } from './fake_quantize';
import { HistogramObserver } from './observer_histogram';
import { MinMaxObserver, MovingAveragePerChannelMinMaxObserver } from './observer_minmax';
import { MSEObserver } from './observer_horizon';
import { isFactory } from './with_args';
import { QConfig, type FakeQuantizeFactory } from './qconfig';
import type { QDType, QScheme } from './types';

/** The fake-quantize class a qconfig uses (FakeQuantize, or LearnableFakeQuantize for LSQ). */
export interface FakeQuantizeClass {
  with_args(args: Partial<FakeQuantizeArgs>): FakeQuantizeFactory;
  readonly name: string;
}

export interface GetQConfigArgs {
  /** Observer of inputs and outputs (class or `.with_args(...)` factory); default MinMaxObserver. */
  observer?: ObserverClassOrFactory;
  /** Quantize the op's input as well (an input fake quantizer), in this dtype. */
  in_dtype?: QDType | null;
  /** Weight dtype (ops without weights ignore it); null keeps weights float. Default qint8. */
  weight_dtype?: QDType | null;
  /** Output dtype; 'qint32' is the high-precision output, null/'float32' a float output. Default qint8. */
  out_dtype?: QDType | 'float32' | null;
  /** Keep the activation scale from calibration during QAT (averaging_constant 0). */
  fix_scale?: boolean;
  /** Activation averaging constant of moving-average observers (default 0.01; 0 with fix_scale). */
  averaging_constant?: number;
  /** The fake-quantize class (default FakeQuantize; LearnableFakeQuantize for learned scales). */
  fake_quant?: FakeQuantizeClass;
}

const GET_QCONFIG_OPTIONS = ['observer', 'in_dtype', 'weight_dtype', 'out_dtype', 'fix_scale', 'averaging_constant', 'fake_quant'];

function observerClass(observer: ObserverClassOrFactory): { name: string } {
  return isFactory(observer) ? observer.cls : (observer as { name: string });
}

export function activationQScheme(dtype: QDType): QScheme {
  return dtype === 'quint8' ? 'per_tensor_affine' : 'per_tensor_symmetric';
}

function activationFakeQuant(fakeQuant: FakeQuantizeClass, observer: ObserverClassOrFactory, dtype: QDType, averaging: number): FakeQuantizeFactory {
  const args: Partial<FakeQuantizeArgs> = { observer, dtype, qscheme: activationQScheme(dtype) };
  // The histogram observer has no moving average.
  if (observerClass(observer) !== HistogramObserver) args.averaging_constant = averaging;
  return fakeQuant.with_args(args);
}

export function weightFakeQuant(dtype: QDType, fakeQuant: FakeQuantizeClass = FakeQuantize): FakeQuantizeFactory {
  return fakeQuant.with_args({
    observer: MovingAveragePerChannelMinMaxObserver,
    dtype,
    qscheme: 'per_channel_symmetric',
    ch_axis: 0,
    averaging_constant: 1,
  });
}

/** A qconfig from a few choices, as Horizon's get_qconfig. */
export function get_qconfig(args: GetQConfigArgs = {}): QConfig {
  const unknown = Object.keys(args).filter((k) => !GET_QCONFIG_OPTIONS.includes(k));
  if (unknown.length) throw new Error(`get_qconfig: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (options: ${GET_QCONFIG_OPTIONS.join(', ')})`);
  const observer = args.observer ?? (MinMaxObserver as unknown as ObserverClassOrFactory);
  const fakeQuant = args.fake_quant ?? FakeQuantize;
  const averaging = args.fix_scale ? 0 : (args.averaging_constant ?? 0.01);
  const outDtype = args.out_dtype === undefined ? 'qint8' : args.out_dtype;
  const weightDtype = args.weight_dtype === undefined ? 'qint8' : args.weight_dtype;
  const quantizedOut = outDtype !== null && outDtype !== 'float32' && outDtype !== 'qint32';
  return new QConfig({
    output: quantizedOut ? activationFakeQuant(fakeQuant, observer, outDtype, averaging) : null,
    weight: weightDtype ? weightFakeQuant(weightDtype, fakeQuant) : null,
    input: args.in_dtype ? activationFakeQuant(fakeQuant, observer, args.in_dtype, averaging) : null,
    out_dtype: outDtype,
  });
}

/** The stage a template is for: calibration, QAT, or QAT with the activation scales fixed. */
export type TemplateStage = 'calibration' | 'qat' | 'qat_fixed_act';

/** The qconfig a template gives an op (8-bit weights; activations int8 or int16; int32 for a final conv/linear). */
export function templateQConfig(stage: TemplateStage, activation: 'qint8' | 'qint16', highPrecisionOutput = false): QConfig {
  const key = `${stage}/${activation}/${highPrecisionOutput}`;
  let q = templateCache.get(key);
  if (!q) {
    q = get_qconfig({
      observer: (stage === 'calibration' ? MSEObserver : MinMaxObserver) as unknown as ObserverClassOrFactory,
      weight_dtype: 'qint8',
      out_dtype: highPrecisionOutput ? 'qint32' : activation,
      fix_scale: stage === 'qat_fixed_act',
    });
    templateCache.set(key, q);
  }
  return q;
}

const templateCache = new Map<string, QConfig>();

// The Horizon plugin's named qconfigs (eager style: `model.qconfig = default_qat_8bit_fake_quant_qconfig`).
export const default_calib_8bit_fake_quant_qconfig = templateQConfig('calibration', 'qint8');
export const default_qat_8bit_fake_quant_qconfig = templateQConfig('qat', 'qint8');
export const default_qat_8bit_fixed_act_fake_quant_qconfig = templateQConfig('qat_fixed_act', 'qint8');
export const default_calib_8bit_weight_32bit_out_fake_quant_qconfig = templateQConfig('calibration', 'qint8', true);
export const default_qat_8bit_weight_32bit_out_fake_quant_qconfig = templateQConfig('qat', 'qint8', true);
export const default_calib_8bit_weight_16bit_act_fake_quant_qconfig = templateQConfig('calibration', 'qint16');
export const default_qat_8bit_weight_16bit_act_fake_quant_qconfig = templateQConfig('qat', 'qint16');
