/**
 * The Horizon "common problems" misuses are refused with a message that says what to call; freezing a
 * backbone (eval + VALIDATION on it, QAT on the head) is accepted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../testing/gpu';
import { prepareStageModel } from '../dsl/stage';
import { set_fake_quantize } from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import type { PreparedModel } from '../quant/prepare';
import type { Module } from '../nn/module';
import { assertReadyForCalibration, assertReadyForQat, assertReadyForValidation, MisuseError, type Misuse } from './misuse';
import { exampleFiles, loadProgram } from './testing/stage_fixture';

let reference: PreparedModel;
let backboneHead: PreparedModel;

beforeAll(async () => {
  await getTestDevice();
  reference = prepareStageModel(loadProgram(exampleFiles('reference_cnn')), 'qat');
  backboneHead = prepareStageModel(loadProgram(exampleFiles('freeze_backbone')), 'qat');
});

function misuseOf(fn: () => unknown): { misuse: Misuse; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof MisuseError) return { misuse: e.misuse, message: e.message };
    throw e;
  }
  throw new Error('expected a MisuseError');
}

function reset(model: Module): void {
  for (const m of model.modules()) (m as { fake_quant_state?: unknown }).fake_quant_state &&= null;
  model.train();
}

describe('calibration misuses', () => {
  it('calibrating in train mode without set_fake_quantize: "QAT training in disguise", call eval() then set_fake_quantize', () => {
    reset(reference);
    const r = misuseOf(() => assertReadyForCalibration(reference));
    expect(r.misuse).toBe('calibration_in_train_mode');
    expect(r.message).toMatch(/train mode \(\(model\), conv1\.bn, conv2\.bn; BatchNorm would update/);
    expect(r.message).toMatch(/QAT training in disguise\. Call model\.eval\(\), then set_fake_quantize\(model, FakeQuantState\.CALIBRATION\)/);
  });

  it('train() after set_fake_quantize(CALIBRATION) is calibrating in train mode too', () => {
    reset(reference);
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.CALIBRATION);
    reference.train();
    const r = misuseOf(() => assertReadyForCalibration(reference));
    expect(r.misuse).toBe('calibration_in_train_mode');
    expect(r.message).not.toMatch(/disguise/);
  });

  it('calibrating in eval mode without set_fake_quantize: the scales would stay 1', () => {
    reset(reference);
    reference.eval();
    const r = misuseOf(() => assertReadyForCalibration(reference));
    expect(r.misuse).toBe('calibration_without_set_fake_quantize');
    expect(r.message).toMatch(/set_fake_quantize was not called \(quant\.activation_post_process, conv1\.weight_fake_quant.*initial value 1/);
    expect(r.message).toMatch(/Call model\.eval\(\), then set_fake_quantize\(model, FakeQuantState\.CALIBRATION\)/);
  });

  it('eval() after set_fake_quantize(CALIBRATION): the fake quantizers are asleep and the scales would stay 1', () => {
    reset(reference);
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.CALIBRATION);
    expect(() => assertReadyForCalibration(reference)).not.toThrow();
    reference.eval();
    const r = misuseOf(() => assertReadyForCalibration(reference));
    expect(r.misuse).toBe('eval_after_set_fake_quantize');
    expect(r.message).toMatch(/in CALIBRATION state but in eval mode.*scales stay at their initial value 1\. model\.eval\(\) was called after set_fake_quantize/);
  });

  it('calibrating with the fake quantizers in another state', () => {
    reset(reference);
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.VALIDATION);
    const r = misuseOf(() => assertReadyForCalibration(reference));
    expect(r.misuse).toBe('calibration_wrong_state');
    expect(r.message).toMatch(/in FakeQuantState\.validation, not CALIBRATION/i);
  });
});

describe('QAT misuses', () => {
  it('QAT in eval mode (eval() after set_fake_quantize(QAT)): call train() first', () => {
    reset(reference);
    set_fake_quantize(reference, FakeQuantState.QAT);
    expect(assertReadyForQat(reference)).toMatchObject({ qat: 6, frozen: 0, warnings: [] });
    reference.eval();
    const r = misuseOf(() => assertReadyForQat(reference));
    expect(r.misuse).toBe('qat_in_eval_mode');
    expect(r.message).toMatch(/in QAT state but in eval mode.*call model\.train\(\), then set_fake_quantize\(model, FakeQuantState\.QAT\)/);
  });

  it('QAT without set_fake_quantize, or still in CALIBRATION (fake quant off)', () => {
    reset(reference);
    expect(misuseOf(() => assertReadyForQat(reference)).misuse).toBe('qat_without_set_fake_quantize');
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.CALIBRATION);
    reference.train();
    const r = misuseOf(() => assertReadyForQat(reference));
    expect(r.misuse).toBe('qat_wrong_state');
    expect(r.message).toMatch(/still in CALIBRATION state \(fake quant off: this would train a float model\)/);
  });

  it('nothing trainable', () => {
    reset(reference);
    set_fake_quantize(reference, FakeQuantState.QAT);
    reference.requires_grad_(false);
    expect(misuseOf(() => assertReadyForQat(reference)).misuse).toBe('qat_nothing_trainable');
    reference.requires_grad_(true);
  });

  it('a frozen backbone (requires_grad off, eval, VALIDATION) with the head in QAT is fine; forgetting eval() is a warning', () => {
    const model = backboneHead as unknown as Module & { backbone: Module; head: Module };
    reset(model);
    set_fake_quantize(model, FakeQuantState.QAT);
    model.backbone.requires_grad_(false);
    model.backbone.eval();
    set_fake_quantize(model.backbone, FakeQuantState.VALIDATION);
    set_fake_quantize(model.head, FakeQuantState.QAT);
    const ok = assertReadyForQat(model);
    expect(ok.frozen).toBeGreaterThan(0);
    expect(ok.qat).toBeGreaterThan(0);
    expect(ok.warnings).toEqual([]);

    model.backbone.train();
    const warned = assertReadyForQat(model);
    expect(warned.warnings.join('\n')).toMatch(/backbone\.conv1\.bn: its parameters do not require grad but it is in train mode.*call \.eval\(\) on the frozen part/);
    model.backbone.requires_grad_(true);
  });

  it('everything frozen in VALIDATION: nothing would train with fake quantization', () => {
    reset(reference);
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.VALIDATION);
    reference.train();
    expect(misuseOf(() => assertReadyForQat(reference)).misuse).toBe('qat_wrong_state');
  });
});

describe('validation misuses', () => {
  it('validation in train mode, or not in VALIDATION', () => {
    reset(reference);
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.VALIDATION);
    expect(() => assertReadyForValidation(reference)).not.toThrow();
    reference.train();
    expect(misuseOf(() => assertReadyForValidation(reference)).misuse).toBe('validation_in_train_mode');
    reference.eval();
    set_fake_quantize(reference, FakeQuantState.CALIBRATION);
    const r = misuseOf(() => assertReadyForValidation(reference));
    expect(r.misuse).toBe('validation_wrong_state');
    expect(r.message).toMatch(/Call model\.eval\(\), then set_fake_quantize\(model, FakeQuantState\.VALIDATION\)/);
  });
});
