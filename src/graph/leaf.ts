/**
 * Leaf modules: the tracer records a call of one as a single `call_module` node instead of tracing into
 * its forward (as torch.fx does for torch.nn's own modules). Built-in layers, stubs, FloatFunctional,
 * fused modules and QAT modules are leaves; user-written modules and containers are traced through.
 */
import * as nn from '../nn/index';
import type { Module } from '../nn/module';
import { FusedConv2d, FusedLinear } from '../nn/fused';

type ModuleClass = abstract new (...args: never[]) => Module;

const leafClasses = new Set<ModuleClass>([
  nn.Conv2d,
  nn.Linear,
  nn.Identity,
  nn.BatchNorm2d,
  nn.LayerNorm,
  nn.ReLU,
  nn.ReLU6,
  nn.Dropout,
  nn.Softmax,
  nn.MaxPool2d,
  nn.AvgPool2d,
  nn.AdaptiveAvgPool2d,
  nn.Flatten,
  nn.QuantStub,
  nn.DeQuantStub,
  nn.FloatFunctional,
  FusedConv2d,
  FusedLinear,
]);

export function registerLeafModule(cls: ModuleClass): void {
  leafClasses.add(cls);
}

/** A leaf: an instance of a leaf class whose forward was not overridden by a user subclass. */
export function isLeafModule(module: Module): boolean {
  for (const cls of leafClasses) {
    if (module instanceof cls && module.forward === (cls.prototype as Module).forward) return true;
  }
  return false;
}
