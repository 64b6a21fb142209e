import { describe, expect, it } from 'vitest';
import { evaluate, loadSources, diagnosticFromError, type Diagnostic } from './evaluate';
import { compileFile } from './compile';
import { Module } from '../nn/module';
import { GraphModule } from '../graph/graph_module';

const QCONFIG = `import { default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";
export const qat_qconfig_setter = [default_qat_qconfig_setter];
`;

function model(body: string): string {
  return `import { nn, torch, F, type Tensor } from "torch";
import { QuantStub, DeQuantStub } from "horizon_plugin_pytorch/quantization";

export default class Net extends nn.Module {
${body}
}
`;
}

const GOOD = model(`  quant = new QuantStub();
  fc = new nn.Linear(4, 2);
  dequant = new DeQuantStub();
  forward(x: Tensor, y: Tensor): Tensor {
    const s = x + y;
    return this.dequant(this.fc(this.quant(s * 2)));
  }`);

function only(diagnostics: Diagnostic[]): Diagnostic {
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0]!;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string, offset = 0): { line: number; column: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, i + offset);
  const line = before.split('\n').length;
  return { line, column: i + offset - before.lastIndexOf('\n') };
}

describe('evaluate', () => {
  it('evaluates both files, instantiates the default export and rewrites + and * for traced tensors', () => {
    const r = evaluate({ 'model.ts': GOOD, 'qconfig.ts': QCONFIG });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.program.model).toBeInstanceOf(Module);
    expect(r.program.model._typeName).toBe('Net');
    expect(r.program.createModel()).not.toBe(r.program.model);
    expect(r.program.config.qat.qconfig_setter).toHaveLength(1);
    const loaded = loadSources({ 'model.ts': GOOD, 'qconfig.ts': QCONFIG });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    expect(loaded.graph).toBeInstanceOf(GraphModule);
    expect(loaded.graph.graph.nodes.map((n) => n.name)).toEqual([
      'x', 'y', '_generated_add_0', '_generated_mul_scalar_0', 'quant', 'fc', 'dequant', 'output',
    ]);
    // Where each op was written is kept on its node.
    expect(loaded.graph.graph.find('_generated_add_0')!.meta.loc).toEqual({ file: 'model.ts', ...where(GOOD, 'x + y') });
  });

  it('keeps plain arithmetic plain, including += on numbers and strings', () => {
    const src = model(`  fc = new nn.Linear(2 * 3 + 1 - 1, 1);
  label = "a" + 1;
  count = [1, 2, 3].reduce((n, k) => { n += k; n *= 2; n -= 1; return n; }, 0);
  forward(x: Tensor): Tensor {
    let n = 1;
    n += 2;
    n *= 3;
    n -= 4;
    return this.fc(x);
  }`);
    const r = evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const m = r.program.model as Module & { fc: { in_features: number }; label: string };
    expect(m.fc.in_features).toBe(6);
    expect((m as unknown as { count: number }).count).toBe(15);
    expect(m.label).toBe('a1');
  });

  it('reports a syntax error at its line and column', () => {
    const src = model(`  forward(x: Tensor): Tensor {
    const y = x +;
    return y;
  }`);
    const d = only((evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d).toMatchObject({ file: 'model.ts', ...where(src, ';', src.indexOf('x +;') + 3 - src.indexOf(';')) });
    expect(d.line).toBe(where(src, 'x +;').line);
    expect(d.column).toBe(where(src, 'x +;').column + 3);
    expect(d.message).toMatch(/^Syntax error: Unexpected token/);
  });

  it('reports a syntax error in qconfig.ts against qconfig.ts', () => {
    const q = `import { default_qat_qconfig_setter } from "horizon_plugin_pytorch/quantization";\nexport const qat = { qconfig_setter: [default_qat_qconfig_setter }\n`;
    const d = only((evaluate({ 'model.ts': GOOD, 'qconfig.ts': q }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d.file).toBe('qconfig.ts');
    expect(d.line).toBe(2);
    expect(d.column).toBe(q.split('\n')[1]!.indexOf('}') + 1);
  });

  it('reports a runtime error in the constructor at the user line that caused it', () => {
    const src = model(`  conv = new nn.Conv2d(3, 8, 3, { groups: 2 });
  forward(x: Tensor): Tensor {
    return this.conv(x);
  }`);
    const d = only((evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d.file).toBe('model.ts');
    expect(d.line).toBe(where(src, 'new nn.Conv2d').line);
    expect(d.column).toBe(where(src, 'new nn.Conv2d').column);
    expect(d.message).toMatch(/must be divisible by groups/);
  });

  it('maps an error thrown after rewritten operators on the same line to the right column', () => {
    const src = model(`  forward(x: Tensor): Tensor {
    return x;
  }
  constructor() {
    super();
    const a = 1 + 2 * 3; const b = (a * 2) + undefinedThing;
  }`);
    const d = only((evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d).toMatchObject({ file: 'model.ts', ...where(src, 'undefinedThing') });
    expect(d.message).toMatch(/ReferenceError: undefinedThing is not defined/);
  });

  it('reports data-dependent control flow in forward at the condition', () => {
    const src = model(`  relu = new nn.ReLU();
  forward(x: Tensor): Tensor {
    const y = this.relu(x);
    if (y) {
      return y;
    }
    return x;
  }`);
    const r = loadSources({ 'model.ts': src, 'qconfig.ts': QCONFIG });
    const d = only((r as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d).toMatchObject({ file: 'model.ts', ...where(src, 'y) {') });
    expect(d.message).toMatch(/^TraceError: data-dependent control flow: the traced tensor 'relu'/);
    expect(d.message).toContain(`(model.ts:${d.line}:${d.column})`);

    const cmp = model(`  forward(x: Tensor): Tensor {
    const big = x.size(0) > 4;
    return big ? x : x;
  }`);
    const d2 = only((loadSources({ 'model.ts': cmp, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d2.line).toBe(where(cmp, 'x.size(0) > 4').line);
    expect(d2.message).toMatch(/data-dependent value/);
  });

  it('rejects unknown imports at the import line and explains what exists', () => {
    const src = `import { nn } from "torch";\nimport { thing } from "numpy";\nexport default class Net extends nn.Module {}\n`;
    const d = only((evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d).toMatchObject({ file: 'model.ts', line: 2 });
    expect(d.message).toMatch(/Cannot find module 'numpy'\. The DSL provides: "torch"/);
  });

  it('accepts Python-style dotted specifiers and lets qconfig.ts import from ./model', () => {
    const src = `import { nn } from "torch";\nexport const WIDTH = 7;\nexport default class Net extends nn.Module { fc = new nn.Linear(WIDTH, 1); forward(x) { return this.fc(x); } }\n`;
    const q = `import { ModuleNameQconfigSetter, get_qconfig, qint16 } from "horizon_plugin_pytorch.quantization.qconfig_template";
import { WIDTH } from "./model";
export const width = WIDTH;
export const qat_qconfig_setter = [ModuleNameQconfigSetter({ fc: get_qconfig({ out_dtype: qint16 }) })];
`;
    const r = evaluate({ 'model.ts': src, 'qconfig.ts': q });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.program.qconfigExports.width).toBe(7);
  });

  it('needs a default export that is an nn.Module subclass', () => {
    const d = only((evaluate({ 'model.ts': `export const x = 1;\n`, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d.message).toMatch(/no default export/);
    const d2 = only((evaluate({ 'model.ts': `export default function f() {}\n`, 'qconfig.ts': QCONFIG }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d2.message).toMatch(/must be a class extending nn.Module/);
  });

  it('checks qconfig.ts options', () => {
    const q = `export default { qat: { qconfig_setter: [42] } };\n`;
    const d = only((evaluate({ 'model.ts': GOOD, 'qconfig.ts': q }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d).toMatchObject({ file: 'qconfig.ts' });
    expect(d.message).toMatch(/qat\.qconfig_setter\[0\] is not a qconfig setter/);
    const q2 = `export default { qat: { learning_rate: 0.1 } };\n`;
    const d2 = only((evaluate({ 'model.ts': GOOD, 'qconfig.ts': q2 }) as { diagnostics: Diagnostic[] }).diagnostics);
    expect(d2.message).toMatch(/unknown qat option 'learning_rate'/);
  });

  it('does not let user code reach worker globals', () => {
    const src = model(`  seen = [typeof self, typeof globalThis, typeof fetch, typeof postMessage, typeof process].join(",");
  forward(x: Tensor): Tensor { return x; }`);
    const r = evaluate({ 'model.ts': src, 'qconfig.ts': QCONFIG });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect((r.program.model as Module & { seen: string }).seen).toBe('undefined,undefined,undefined,undefined,undefined');
  });

  it('falls back to line 1 of the file for errors without a user frame', () => {
    expect(diagnosticFromError(new Error('lost'), 'qconfig.ts')).toEqual({ file: 'qconfig.ts', line: 1, column: 1, message: 'lost', severity: 'error' });
  });
});

describe('compileFile', () => {
  it('keeps lines and maps columns back through type stripping and operator rewriting', () => {
    const src = 'const a: number = 1;\nconst b: Array<number> = [a + a * 2];\n';
    const c = compileFile('model.ts', src);
    expect(c.code.split('\n')[1]).toContain('__dsl.add(a, __dsl.mul(a, 2))');
    const genLine = c.code.split('\n')[1]!;
    const genCol = genLine.indexOf('2))') + 1;
    expect(c.map(2, genCol)).toEqual(where(src, '2]'));
  });
});
