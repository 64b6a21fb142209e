/**
 * QConfig setters, as the Horizon toolchain's qconfig templates: prepare applies them in order, and the
 * first setter that decides an op wins (later ones skip it). So a ModuleNameQconfigSetter in front of
 * a template overrides the template for the names it lists.
 *
 * - template setters decide every op not decided yet: default_* (int8 activations), the int16 family
 *   (8-bit weights, int16 activations), each in a calibration / QAT / QAT-with-fixed-activation-scale
 *   flavour. A final conv/linear (whose output only reaches the model output) gets the int32
 *   high-precision output unless prepare is told `high_precision_output: false`.
 * - sensitive_op_* setters take a sensitivity table (most sensitive first) and `ratio` or `topk`, and
 *   give those ops int16 activations.
 * - ModuleNameQconfigSetter({name: qconfig}) decides the named modules (a name also covers the modules
 *   under it: "backbone" covers "backbone.conv1"); `null` keeps a module float.
 */
import type { Module } from '../nn/module';
import type { Node } from '../graph/node';
import { QConfig } from './qconfig';
import { templateQConfig, type TemplateStage } from './qconfig_templates';
import type { OpKind } from './op_kinds';

/** An op that takes a qconfig, as setters see it. */
export interface QuantOp {
  node: Node;
  /** The module path (call_module), else the node name: what tables and ModuleNameQconfigSetter use. */
  name: string;
  module: Module | null;
  kind: OpKind;
  type: string;
  /** A conv/linear whose output reaches the model's output without another quantized op. */
  is_final: boolean;
  /** Names of the modules a fused module replaced (conv1, bn1, relu1). */
  fused_names: readonly string[];
}

export interface SetterContext {
  readonly ops: readonly QuantOp[];
  readonly high_precision_output: boolean;
  isDecided(op: QuantOp): boolean;
  /** Decides an op (ignored when an earlier setter already did). `null` keeps it float. */
  set(op: QuantOp, qconfig: QConfig | null): void;
}

export interface QconfigSetter {
  /** Shown in the check table as where an op's qconfig came from. */
  readonly setter_name: string;
  apply(ctx: SetterContext): void;
}

function templateSetter(setter_name: string, stage: TemplateStage, activation: 'qint8' | 'qint16'): QconfigSetter {
  return {
    setter_name,
    apply(ctx) {
      for (const op of ctx.ops) {
        if (ctx.isDecided(op)) continue;
        const highPrecision = ctx.high_precision_output && op.is_final && op.kind === 'weighted';
        ctx.set(op, templateQConfig(stage, activation, highPrecision));
      }
    },
  };
}

export const default_calibration_qconfig_setter = templateSetter('default_calibration_qconfig_setter', 'calibration', 'qint8');
export const default_qat_qconfig_setter = templateSetter('default_qat_qconfig_setter', 'qat', 'qint8');
export const default_qat_fixed_act_qconfig_setter = templateSetter('default_qat_fixed_act_qconfig_setter', 'qat_fixed_act', 'qint8');
export const calibration_8bit_weight_16bit_act_qconfig_setter = templateSetter(
  'calibration_8bit_weight_16bit_act_qconfig_setter',
  'calibration',
  'qint16',
);
export const qat_8bit_weight_16bit_act_qconfig_setter = templateSetter('qat_8bit_weight_16bit_act_qconfig_setter', 'qat', 'qint16');
export const qat_8bit_weight_16bit_fixed_act_qconfig_setter = templateSetter(
  'qat_8bit_weight_16bit_fixed_act_qconfig_setter',
  'qat_fixed_act',
  'qint16',
);

/** One row of a sensitivity table: [name, type, metric] (the debug tool's form) or an object. */
export type SensitivityEntry = readonly [string, string, number] | readonly [string, number] | { readonly node: string; readonly type?: string; readonly metric?: number };

export type SensitivityTable = readonly SensitivityEntry[];

export interface SensitiveOpOptions {
  /** The most sensitive `ratio` of the table's ops (rounded up), 0..1. */
  ratio?: number;
  /** The `topk` most sensitive ops. */
  topk?: number;
}

function entryName(entry: SensitivityEntry, index: number): string {
  const name = Array.isArray(entry) ? entry[0] : (entry as { node?: unknown }).node;
  if (typeof name !== 'string') throw new Error(`sensitivity table: row ${index} has no op name (expected [name, type, metric] or {node, type, metric})`);
  return name;
}

/** The names a sensitive-op setter picks (the table is ordered most sensitive first). */
export function pickSensitiveOps(table: SensitivityTable, options: SensitiveOpOptions): string[] {
  if (!Array.isArray(table)) throw new Error('sensitive_op setter: the first argument must be the sensitivity table (an array of rows)');
  const names = table.map(entryName);
  const { ratio, topk } = options;
  if ((ratio === undefined) === (topk === undefined)) throw new Error('sensitive_op setter: give exactly one of ratio or topk');
  let k: number;
  if (topk !== undefined) {
    if (!Number.isInteger(topk) || topk < 0) throw new Error(`sensitive_op setter: topk must be a non-negative integer (got ${topk})`);
    k = topk;
  } else {
    if (!(ratio! >= 0 && ratio! <= 1)) throw new Error(`sensitive_op setter: ratio must be in [0, 1] (got ${ratio})`);
    k = Math.ceil(ratio! * names.length);
  }
  return names.slice(0, k);
}

function opMatches(op: QuantOp, name: string): boolean {
  return op.name === name || op.node.name === name || op.fused_names.includes(name);
}

function sensitiveSetter(setter_name: string, stage: TemplateStage) {
  return (table: SensitivityTable, options: SensitiveOpOptions): QconfigSetter => {
    const picked = pickSensitiveOps(table, options);
    return {
      setter_name,
      apply(ctx) {
        for (const name of picked) {
          for (const op of ctx.ops) {
            if (!opMatches(op, name) || ctx.isDecided(op)) continue;
            // A final conv/linear keeps its int32 output: int16 would lower it.
            if (ctx.high_precision_output && op.is_final && op.kind === 'weighted') continue;
            ctx.set(op, templateQConfig(stage, 'qint16'));
          }
        }
      },
    };
  };
}

export const sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter = sensitiveSetter(
  'sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter',
  'calibration',
);
export const sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter = sensitiveSetter('sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter', 'qat');
export const sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter = sensitiveSetter(
  'sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter',
  'qat_fixed_act',
);

/**
 * ModuleNameQconfigSetter({name: qconfig}): the listed modules get these qconfigs. Names are module paths
 * as the check table shows them (generated ops too: `_generated_add_0`); a name also covers everything
 * under it, and the longest matching name wins. A name that matches no quantizable op is an error.
 */
export class ModuleNameQconfigSetter implements QconfigSetter {
  readonly setter_name = 'ModuleNameQconfigSetter';
  readonly module_name_to_qconfig: ReadonlyMap<string, QConfig | null>;

  constructor(module_name_to_qconfig: Record<string, QConfig | null> | ReadonlyMap<string, QConfig | null>) {
    const entries = module_name_to_qconfig instanceof Map ? [...module_name_to_qconfig] : Object.entries(module_name_to_qconfig);
    for (const [name, q] of entries) {
      if (q !== null && !(q instanceof QConfig)) {
        throw new Error(`ModuleNameQconfigSetter: the value for '${name}' is not a QConfig (use QConfig({...}) or get_qconfig({...}), or null for float)`);
      }
    }
    this.module_name_to_qconfig = new Map(entries);
  }

  apply(ctx: SetterContext): void {
    const names = [...this.module_name_to_qconfig.keys()].sort((a, b) => b.length - a.length);
    const used = new Set<string>();
    for (const op of ctx.ops) {
      const name = names.find((n) => opMatches(op, n) || op.name.startsWith(`${n}.`));
      if (name === undefined) continue;
      used.add(name);
      if (!ctx.isDecided(op)) ctx.set(op, this.module_name_to_qconfig.get(name)!);
    }
    const unused = names.filter((n) => !used.has(n));
    if (unused.length) {
      const known = ctx.ops.map((op) => op.name).join(', ');
      throw new Error(
        `ModuleNameQconfigSetter: no quantizable op named ${unused.map((n) => `'${n}'`).join(', ')}. ` +
          `Ops that take a qconfig: ${known}. (ReLU, pooling and reshapes keep their input's scale and take none.)`,
      );
    }
  }
}

/** Whether a value is a qconfig setter (has `apply`). */
export function isQconfigSetter(value: unknown): value is QconfigSetter {
  return !!value && (typeof value === 'object' || typeof value === 'function') && typeof (value as QconfigSetter).apply === 'function';
}
