/**
 * Eager-mode fusion, as torch.ao.quantization.fuse_modules and Horizon's fuse_known_modules:
 * `fuse_modules(model, ["conv", "bn", "relu"])` (or a list of such lists) replaces the first module by
 * the fused one and the others by Identity, in place. With a FloatFunctional add in the list
 * (["conv", "bn", "add", "relu"]) the fused module takes the add's place, and forward's
 * `this.add.add(this.conv(x), y)` then runs conv + add (+ relu) in one: the conv output must be the first
 * operand in eager mode (FX fusion, fuse_fx, handles either order).
 */
import type { Module } from '../nn/module';
import { Conv2d } from '../nn/conv';
import { Linear, Identity } from '../nn/linear';
import { BatchNorm2d } from '../nn/norm';
import { ReLU, ReLU6 } from '../nn/activation';
import { FloatFunctional } from '../nn/quant_stubs';
import { fusedConvClass, fusedLinearClass, type FusedActivation } from '../nn/fused';

function describe(mods: Module[]): string {
  return `[${mods.map((m) => m._typeName).join(', ')}]`;
}

function fuseGroup(model: Module, names: readonly string[]): void {
  const mods = names.map((n) => {
    try {
      return model.get_submodule(n);
    } catch {
      throw new Error(`fuse_modules: ${model._typeName} has no submodule '${n}'`);
    }
  });
  const bad = () => new Error(`fuse_modules: cannot fuse ${names.join(', ')} ${describe(mods)}: expected conv/linear [+ BatchNorm2d] [+ FloatFunctional add] [+ ReLU/ReLU6]`);
  let i = 0;
  const root = mods[i++];
  const isConv = root instanceof Conv2d && root.constructor === Conv2d;
  const isLinear = root instanceof Linear && root.constructor === Linear;
  if (!isConv && !isLinear) throw bad();
  let bn: BatchNorm2d | null = null;
  let addIndex = -1;
  let relu: FusedActivation | null = null;
  if (isConv && mods[i] instanceof BatchNorm2d) bn = mods[i++] as BatchNorm2d;
  if (mods[i] instanceof FloatFunctional) addIndex = i++;
  if (mods[i] instanceof ReLU || mods[i] instanceof ReLU6) relu = mods[i++] as FusedActivation;
  if (i !== mods.length || mods.length < 2) throw bad();
  const reluKind = relu ? (relu instanceof ReLU6 ? 'relu6' : 'relu') : null;
  const fused = isConv
    ? new (fusedConvClass(bn !== null, addIndex >= 0, reluKind)!)(root as Conv2d, bn, relu)
    : new (fusedLinearClass(addIndex >= 0, reluKind)!)(root as Linear, relu);
  fused.training = root!.training;
  fused.qconfig = root!.qconfig;
  fused.fused_names = [...names];
  const home = addIndex >= 0 ? addIndex : 0;
  names.forEach((name, k) => {
    if (k === home) return;
    const id = new Identity();
    id.training = mods[k]!.training;
    model.set_submodule(name, id);
  });
  model.set_submodule(names[home]!, fused);
}

/** Fuses each group of module names in place; returns the model. */
export function fuse_modules<M extends Module>(model: M, modules_to_fuse: readonly string[] | readonly (readonly string[])[]): M {
  const groups = (modules_to_fuse.length > 0 && Array.isArray(modules_to_fuse[0]) ? modules_to_fuse : [modules_to_fuse]) as readonly (readonly string[])[];
  for (const group of groups) fuseGroup(model, group);
  return model;
}
