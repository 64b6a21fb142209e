/**
 * The mistakes the Horizon quick start lists under "common problems", caught before a stage runs, each
 * with a message that says what to do:
 *
 *   - calibrating in train mode (BatchNorm would learn batch statistics; without set_fake_quantize it is
 *     QAT training in disguise);
 *   - calibrating without set_fake_quantize (the observers never run: every scale stays 1);
 *   - model.eval() after set_fake_quantize(CALIBRATION) (the fake quantizers go back to eval mode, their
 *     observers record nothing, the scales stay 1);
 *   - QAT in eval mode (BatchNorm frozen, observers off) and QAT with fake quant off;
 *   - validation in train mode, or with fake quantizers not in VALIDATION.
 *
 * Freezing a backbone is allowed: parts of the model may be in eval mode with VALIDATION while the head
 * trains in QAT; what is suspicious there (frozen weights under a BatchNorm that still learns) is a warning.
 */
import type { Module } from '../nn/module';
import * as nn from '../nn/index';
import { FakeQuantizeBase } from '../quant/fake_quantize';
import { FakeQuantState } from '../quant/types';

export type Misuse =
  | 'no_fake_quantizers'
  | 'calibration_in_train_mode'
  | 'calibration_without_set_fake_quantize'
  | 'eval_after_set_fake_quantize'
  | 'calibration_wrong_state'
  | 'qat_in_eval_mode'
  | 'qat_without_set_fake_quantize'
  | 'qat_wrong_state'
  | 'qat_nothing_trainable'
  | 'validation_in_train_mode'
  | 'validation_wrong_state';

export class MisuseError extends Error {
  constructor(
    readonly misuse: Misuse,
    message: string,
  ) {
    super(message);
    this.name = 'MisuseError';
  }
}

interface Found {
  name: string;
  fq: FakeQuantizeBase;
}

function fakeQuantizers(model: Module): Found[] {
  return [...model.named_modules()].filter(([, m]) => m instanceof FakeQuantizeBase).map(([name, m]) => ({ name, fq: m as FakeQuantizeBase }));
}

/** Modules whose behaviour depends on train/eval (what BatchNorm and Dropout do), with their names. */
function modeSensitive(model: Module): [string, Module][] {
  const out: [string, Module][] = [];
  for (const [name, m] of model.named_modules()) {
    if (m instanceof nn.BatchNorm2d || m instanceof nn.Dropout) out.push([name, m]);
    // A fused conv+BN holds its BN as a child; named_modules reaches it.
  }
  return out;
}

/** The model itself and its BatchNorm/Dropout modules that are in train mode. */
function inTrainMode(model: Module): string[] {
  const names = modeSensitive(model)
    .filter(([, m]) => m.training)
    .map(([n]) => n);
  return model.training && !names.includes('') ? ['', ...names] : names;
}

/** Names listed briefly: the first few and a count. */
function some(names: readonly string[], max = 4): string {
  const shown = names.slice(0, max).map((n) => n || '(model)');
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

function stateName(state: FakeQuantState | null): string {
  return state === null ? 'never set' : `FakeQuantState.${state}`;
}

/** Before calibrating a prepared model (it should be in eval mode with its fake quantizers in CALIBRATION). */
export function assertReadyForCalibration(model: Module): void {
  const fqs = fakeQuantizers(model);
  if (fqs.length === 0) {
    throw new MisuseError('no_fake_quantizers', 'calibration: the model has no fake quantizers. prepare(model, {qconfig_setter: ...}) it first (or give its ops a qconfig).');
  }
  const neverSet = fqs.filter((f) => f.fq.fake_quant_state === null);
  const training = inTrainMode(model);
  if (training.length) {
    const qatLike = neverSet.length === fqs.length;
    throw new MisuseError(
      'calibration_in_train_mode',
      `calibration: the model is in train mode (${some(training)}; BatchNorm would update its running statistics from each batch and Dropout would drop activations). ` +
        (qatLike ? 'Without set_fake_quantize this is QAT training in disguise. ' : '') +
        'Call model.eval(), then set_fake_quantize(model, FakeQuantState.CALIBRATION), then run the calibration batches.',
    );
  }
  if (neverSet.length) {
    throw new MisuseError(
      'calibration_without_set_fake_quantize',
      `calibration: set_fake_quantize was not called (${some(neverSet.map((f) => f.name))} ${neverSet.length === 1 ? 'has' : 'have'} no state). ` +
        'In eval mode the observers would record nothing and every scale would stay at its initial value 1. ' +
        'Call model.eval(), then set_fake_quantize(model, FakeQuantState.CALIBRATION).',
    );
  }
  const wrong = fqs.filter((f) => f.fq.fake_quant_state !== FakeQuantState.CALIBRATION);
  if (wrong.length) {
    throw new MisuseError(
      'calibration_wrong_state',
      `calibration: ${some(wrong.map((f) => f.name))} ${wrong.length === 1 ? 'is' : 'are'} in ${stateName(wrong[0]!.fq.fake_quant_state)}, not CALIBRATION. ` +
        'Call set_fake_quantize(model, FakeQuantState.CALIBRATION) on the whole model after model.eval().',
    );
  }
  const asleep = fqs.filter((f) => !f.fq.training);
  if (asleep.length) {
    throw new MisuseError(
      'eval_after_set_fake_quantize',
      `calibration: ${some(asleep.map((f) => f.name))} ${asleep.length === 1 ? 'is' : 'are'} in CALIBRATION state but in eval mode, so ${asleep.length === 1 ? 'its observer records' : 'their observers record'} nothing ` +
        'and the scales stay at their initial value 1. model.eval() was called after set_fake_quantize: call model.eval() first, then set_fake_quantize(model, FakeQuantState.CALIBRATION).',
    );
  }
}

export interface QatReadiness {
  /** Fake quantizers in QAT state (observe and fake-quantize). */
  qat: number;
  /** Fake quantizers in VALIDATION state (a frozen part). */
  frozen: number;
  warnings: string[];
}

/** Before QAT training (the model in train mode, fake quantizers in QAT; a frozen part in VALIDATION + eval). */
export function assertReadyForQat(model: Module): QatReadiness {
  const fqs = fakeQuantizers(model);
  if (fqs.length === 0) {
    throw new MisuseError('no_fake_quantizers', 'qat: the model has no fake quantizers. prepare(model, {qconfig_setter: ...}) it first (or give its ops a qconfig).');
  }
  const neverSet = fqs.filter((f) => f.fq.fake_quant_state === null);
  if (neverSet.length) {
    throw new MisuseError(
      'qat_without_set_fake_quantize',
      `qat: set_fake_quantize was not called for ${some(neverSet.map((f) => f.name))}. Call model.train(), then set_fake_quantize(model, FakeQuantState.QAT).`,
    );
  }
  const calibrating = fqs.filter((f) => f.fq.fake_quant_state === FakeQuantState.CALIBRATION);
  if (calibrating.length) {
    throw new MisuseError(
      'qat_wrong_state',
      `qat: ${some(calibrating.map((f) => f.name))} ${calibrating.length === 1 ? 'is' : 'are'} still in CALIBRATION state (fake quant off: this would train a float model). ` +
        'Call model.train(), then set_fake_quantize(model, FakeQuantState.QAT).',
    );
  }
  const qat = fqs.filter((f) => f.fq.fake_quant_state === FakeQuantState.QAT);
  if (qat.length === 0) {
    throw new MisuseError(
      'qat_wrong_state',
      'qat: no fake quantizer is in QAT state (all are in VALIDATION), so nothing would be trained with fake quantization. ' +
        'Call model.train(), then set_fake_quantize(model, FakeQuantState.QAT) (or on the part you train, e.g. model.head).',
    );
  }
  const asleep = qat.filter((f) => !f.fq.training);
  if (asleep.length) {
    throw new MisuseError(
      'qat_in_eval_mode',
      `qat: ${some(asleep.map((f) => f.name))} ${asleep.length === 1 ? 'is' : 'are'} in QAT state but in eval mode: BatchNorm would use frozen statistics and the observers would not update the scales. ` +
        'model.eval() was called after set_fake_quantize, or QAT was started in eval mode: call model.train(), then set_fake_quantize(model, FakeQuantState.QAT).',
    );
  }
  const trainable = model.parameters().filter((p) => p.requiresGrad);
  if (trainable.length === 0) {
    throw new MisuseError('qat_nothing_trainable', 'qat: no parameter requires grad (requires_grad_(false) on the whole model?). Leave requires_grad on for the part you train.');
  }
  const warnings: string[] = [];
  // Frozen weights under a BatchNorm that still learns statistics: Horizon's note that requires_grad and eval() go together.
  for (const [name, m] of model.named_modules()) {
    if (!(m instanceof nn.BatchNorm2d) || !m.training) continue;
    const params = [m.weight, m.bias].filter((p): p is NonNullable<typeof p> => !!p);
    if (params.length && params.every((p) => !p.requiresGrad)) {
      warnings.push(
        `${name}: its parameters do not require grad but it is in train mode, so its running statistics still change; call .eval() on the frozen part as well (requires_grad and eval() go together).`,
      );
    }
  }
  const frozen = fqs.filter((f) => f.fq.fake_quant_state === FakeQuantState.VALIDATION);
  return { qat: qat.length, frozen: frozen.length, warnings };
}

/** Before evaluating the fake-quant model (eval mode, every fake quantizer in VALIDATION). */
export function assertReadyForValidation(model: Module): void {
  const training = inTrainMode(model);
  if (training.length) {
    throw new MisuseError(
      'validation_in_train_mode',
      `validation: the model is in train mode (${some(training)}). Call model.eval(), then set_fake_quantize(model, FakeQuantState.VALIDATION).`,
    );
  }
  const fqs = fakeQuantizers(model);
  const wrong = fqs.filter((f) => f.fq.fake_quant_state !== FakeQuantState.VALIDATION);
  if (wrong.length) {
    throw new MisuseError(
      'validation_wrong_state',
      `validation: ${some(wrong.map((f) => f.name))} ${wrong.length === 1 ? 'is' : 'are'} in ${stateName(wrong[0]!.fq.fake_quant_state)}, not VALIDATION ` +
        '(the accuracy would not be the fake-quant model\'s, or the scales would move). Call model.eval(), then set_fake_quantize(model, FakeQuantState.VALIDATION).',
    );
  }
}
