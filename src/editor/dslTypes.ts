/**
 * The DSL's type declarations for the editor: ambient `declare module` blocks for every specifier user
 * code can import (see src/dsl/modules.ts), with JSDoc for hover docs. Register the text with
 * `setDslDeclarations(dslDeclarations())` (editor/monaco.ts).
 */
import base from './dsl.d.ts.txt?raw';
import { DSL_MODULE_NAMES } from '../dsl/modules';

/** Where the torch sub-modules point; every other specifier is the quantization namespace. */
const ALIASES: Record<string, string> = {
  'torch/nn': 'import { nn } from "torch";\n  export = nn;',
  'torch/nn/functional': 'import { F } from "torch";\n  export = F;',
  horizon_plugin_pytorch:
    'export * from "horizon_plugin_pytorch/quantization";\n  import * as quantization from "horizon_plugin_pytorch/quantization";\n  export { quantization };',
};

const DECLARED = new Set(['torch', 'horizon_plugin_pytorch/quantization']);

/** The module specifiers the declarations cover: each DSL module, by slashes and by Python's dots. */
export function dslModuleSpecifiers(): string[] {
  const out: string[] = [];
  for (const name of DSL_MODULE_NAMES) {
    out.push(name);
    if (name.includes('/')) out.push(name.replace(/\//g, '.'));
  }
  return out;
}

let cached: string | null = null;

export function dslDeclarations(): string {
  if (cached) return cached;
  const aliases = dslModuleSpecifiers()
    .filter((spec) => !DECLARED.has(spec))
    .map((spec) => {
      const canonical = spec.replace(/\./g, '/');
      const body = DECLARED.has(canonical)
        ? `export * from "${canonical}";`
        : (ALIASES[canonical] ?? 'export * from "horizon_plugin_pytorch/quantization";');
      return `declare module "${spec}" {\n  ${body}\n}`;
    });
  cached = `${base}\n${aliases.join('\n')}\n`;
  return cached;
}
