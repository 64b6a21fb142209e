/**
 * A tiny model with one planted sensitive layer, for the sensitivity and mixed-precision tests:
 * quant → fc1+relu1 → fc2+relu2 → fc3 → dequant, where fc2's output channel 0 is a constant 500 (a huge
 * activation outlier) that fc3 ignores. With int8, fc2's output scale is set by the outlier (≈ 500/127),
 * so every other channel rounds to 0 and the prediction is lost; with int16 it is fine.
 */
import { Tensor, keep, tidy } from '../engine/tensor';
import { no_grad } from '../engine/autograd';
import * as nn from '../nn/index';
import { Module } from '../nn/module';
import type { TraceValue } from '../graph/trace_value';
import { prepare, type PreparedModel } from './prepare';
import { default_qat_qconfig_setter, type QconfigSetter } from './setters';
import { set_fake_quantize } from './fake_quant_state';
import { FakeQuantState } from './types';
import type { SensitivityBatch } from './sensitivity';

export const PLANTED_NODE = 'fc2';
export const OUTLIER = 500;

export class PlantedNet extends Module {
  quant = new nn.QuantStub();
  fc1 = new nn.Linear(4, 8);
  relu1 = new nn.ReLU();
  fc2 = new nn.Linear(8, 8);
  relu2 = new nn.ReLU();
  fc3 = new nn.Linear(8, 3);
  dequant = new nn.DeQuantStub();

  override forward(x: TraceValue): unknown {
    x = this.relu1(this.fc1(this.quant(x)));
    x = this.relu2(this.fc2(x));
    return this.dequant(this.fc3(x));
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Deterministic weights with the planted outlier (no RNG state of the engine involved). */
export function plantedNet(seed = 1): PlantedNet {
  const net = new PlantedNet();
  const rand = lcg(seed);
  const uniform = (n: number, scale: number) => Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  net.fc1.weight.assign(uniform(32, 1));
  net.fc1.bias!.assign(uniform(8, 0.2));
  const w2 = uniform(64, 0.6);
  // Row 0: output channel 0 is the bias and a little more. (Not all zero: an all-zero weight channel gets a
  // tiny weight scale, and its int32 bias at s_x·s_w saturates in the fixed-point model.)
  for (let i = 0; i < 8; i++) w2[i] = 0.05;
  net.fc2.weight.assign(w2);
  const b2 = uniform(8, 0.2);
  b2[0] = OUTLIER;
  net.fc2.bias!.assign(b2);
  const w3 = uniform(24, 1);
  for (let o = 0; o < 3; o++) w3[o * 8] = 0; // fc3 ignores channel 0
  net.fc3.weight.assign(w3);
  net.fc3.bias!.assign([0, 0, 0]);
  return net;
}

/** `count` batches of `size` inputs in [-1, 1) (no labels). */
export function plantedInputs(count: number, size: number, seed = 7): Tensor[] {
  const rand = lcg(seed);
  return Array.from({ length: count }, () => keep(Tensor.fromArray(Array.from({ length: size * 4 }, () => rand() * 2 - 1), [size, 4])));
}

/** Prepared with the QAT template (min/max observers, so the outlier sets the scale) and calibrated. */
export function calibratedPlanted(inputs: readonly Tensor[], setters: readonly QconfigSetter[] = [], seed = 1): PreparedModel {
  const model = prepare(plantedNet(seed), { qconfig_setter: [...setters, default_qat_qconfig_setter] });
  calibrateOn(model, inputs);
  return model;
}

export function calibrateOn(model: Module, inputs: readonly Tensor[]): void {
  model.eval();
  set_fake_quantize(model, FakeQuantState.CALIBRATION);
  for (const x of inputs) no_grad(() => tidy(() => void model(x)));
  set_fake_quantize(model, FakeQuantState.VALIDATION);
}

/** Batches labelled with the float model's own predictions (so float accuracy is 1). */
export async function labelledByFloat(inputs: readonly Tensor[], seed = 1): Promise<SensitivityBatch[]> {
  const net = plantedNet(seed);
  net.eval();
  const batches: SensitivityBatch[] = [];
  for (const x of inputs) {
    const y = keep(no_grad(() => tidy(() => net(x) as Tensor)));
    const out = await y.read();
    y.dispose();
    const n = x.shape[0]!;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 3; c++) if (out[i * 3 + c]! > out[i * 3 + best]!) best = c;
      labels[i] = best;
    }
    batches.push({ input: x, labels });
  }
  net.dispose();
  return batches;
}
