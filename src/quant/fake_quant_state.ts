/**
 * set_fake_quantize(model, state), as in the Horizon toolchain, and PyTorch's module-level toggles
 * (enable_fake_quant, disable_fake_quant, enable_observer, disable_observer).
 *
 *   CALIBRATION: the model must be in eval mode; fake quant off, observers on, the fake quantizers
 *                themselves put in train mode so that they observe (outputs equal inputs).
 *   QAT:         the model must be in train mode; observers on and fake quant on.
 *   VALIDATION:  the model must be in eval mode; fake quant on, observers off (they do not run in eval mode
 *                either), so the scales stay frozen.
 * Works on any subtree: freezing a backbone is `backbone.eval()` + `set_fake_quantize(backbone, VALIDATION)`
 * with `set_fake_quantize(head, QAT)`.
 */
import type { Module } from '../nn/module';
import { FakeQuantizeBase } from './fake_quantize';
import { LearnableFakeQuantize } from './fake_quantize_learnable';
import { FakeQuantState } from './types';

export { FakeQuantState };

function fakeQuantizers(model: Module): [string, FakeQuantizeBase][] {
  return [...model.named_modules()].filter((e): e is [string, FakeQuantizeBase] => e[1] instanceof FakeQuantizeBase);
}

export function set_fake_quantize(model: Module, state: FakeQuantState): void {
  if (!Object.values(FakeQuantState).includes(state)) {
    throw new Error(`set_fake_quantize: unknown state '${String(state)}' (use FakeQuantState.CALIBRATION, QAT or VALIDATION)`);
  }
  const what = `set_fake_quantize(${model._typeName}, FakeQuantState.${state})`;
  if (state === FakeQuantState.QAT && !model.training) {
    throw new Error(`${what}: the model is in eval mode. Call model.train() before setting fake quant to QAT mode (BatchNorm and Dropout must train).`);
  }
  if (state !== FakeQuantState.QAT && model.training) {
    throw new Error(
      `${what}: the model is in train mode. Call model.eval() before setting fake quant to ${state} mode ` +
        '(in train mode BatchNorm would update its running statistics and Dropout would drop activations).',
    );
  }
  for (const [, fq] of fakeQuantizers(model)) {
    if (fq instanceof LearnableFakeQuantize) {
      if (state === FakeQuantState.CALIBRATION) fq.enable_static_observation();
      else if (state === FakeQuantState.QAT) fq.enable_param_learning();
      else fq.toggle_qparam_learning(false).toggle_fake_quant(true).toggle_observer_update(false);
    } else if (state === FakeQuantState.CALIBRATION) {
      fq.disable_fake_quant().enable_observer();
    } else if (state === FakeQuantState.QAT) {
      fq.enable_fake_quant().enable_observer();
    } else {
      // Observers do not run in eval mode anyway; off as well, so a later train() cannot move frozen scales.
      fq.enable_fake_quant().disable_observer();
    }
    if (state === FakeQuantState.CALIBRATION) fq.train();
    fq.fake_quant_state = state;
  }
}

/** The state of every fake quantizer under `model`, by name (for checks and the UI). */
export function get_fake_quantize_states(model: Module): Map<string, FakeQuantState | null> {
  return new Map(fakeQuantizers(model).map(([name, fq]) => [name, fq.fake_quant_state]));
}

export function enable_fake_quant(model: Module): void {
  for (const [, fq] of fakeQuantizers(model)) fq.enable_fake_quant();
}

export function disable_fake_quant(model: Module): void {
  for (const [, fq] of fakeQuantizers(model)) fq.disable_fake_quant();
}

export function enable_observer(model: Module): void {
  for (const [, fq] of fakeQuantizers(model)) fq.enable_observer();
}

export function disable_observer(model: Module): void {
  for (const [, fq] of fakeQuantizers(model)) fq.disable_observer();
}
