import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { dslDeclarations, dslModuleSpecifiers } from './dslTypes';
import { EXAMPLES } from '../dsl/examples/index';
import { resolveDslModule } from '../dsl/modules';

/** The editor's compiler options (editor/monaco.ts). */
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  noEmit: true,
  lib: ['lib.esnext.d.ts'],
  types: [],
};

const DECLS = '/node_modules/@types/qat-dsl/index.d.ts';

/** TypeScript's lib files parsed once for all the programs below (parsing them dominates the time). */
const libCache = new Map<string, ts.SourceFile | undefined>();

function program(files: Record<string, string>): ts.Program {
  const all: Record<string, string> = { [DECLS]: dslDeclarations() };
  for (const [name, text] of Object.entries(files)) all[`/${name}`] = text;
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => {
    if (name in all) return ts.createSourceFile(name, all[name]!, version);
    if (!libCache.has(name)) libCache.set(name, getSourceFile(name, version));
    return libCache.get(name);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name in all || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => all[name] ?? readFile(name);
  return ts.createProgram(Object.keys(all), OPTIONS, host);
}

function errors(files: Record<string, string>): string[] {
  const p = program(files);
  return ts.getPreEmitDiagnostics(p).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('DSL declarations', () => {
  it('typecheck every gallery example with no errors (strict, as in the editor)', () => {
    // One program for all of them (each in its own folder, so './model' resolves to its own model.ts).
    const files: Record<string, string> = {};
    for (const example of EXAMPLES) {
      files[`${example.id}/model.ts`] = example.files['model.ts'];
      files[`${example.id}/qconfig.ts`] = example.files['qconfig.ts'];
    }
    expect(errors(files)).toEqual([]);
  });

  it('catch mistakes the editor should mark', () => {
    const model = `import { nn, type Tensor } from "torch";
export default class Net extends nn.Module {
  conv = new nn.Conv2d(1, 8, 3, { paddin: 1 });
  forward(x: Tensor): Tensor { return this.conv(x); }
}
`;
    const qconfig = `import { get_qconfig, qint16, ModuleNameQconfigSetter } from "horizon_plugin_pytorch.quantization.qconfig";
export default { qat: { qconfig_setter: [ModuleNameQconfigSetter({ conv: get_qconfig({ out_dtype: "int16" }) })] } };
`;
    const found = errors({ 'model.ts': model, 'qconfig.ts': qconfig });
    expect(found).toHaveLength(2);
    expect(found.some((e) => e.startsWith('/model.ts:3') && e.includes("'paddin' does not exist"))).toBe(true);
    expect(found.some((e) => e.startsWith('/qconfig.ts:2') && e.includes('"int16"'))).toBe(true);
    expect(found.some((e) => e.includes('qint16') && e.includes('never read'))).toBe(false);
  });

  it('declare exactly the values the runtime modules export', () => {
    const p = program({});
    const checker = p.getTypeChecker();
    for (const spec of ['torch', 'horizon_plugin_pytorch/quantization', 'torch/nn', 'torch/nn/functional', 'horizon_plugin_pytorch']) {
      const moduleSymbol = checker.getAmbientModules().find((m) => m.getName() === `"${spec}"`);
      expect(moduleSymbol, spec).toBeDefined();
      const declared = checker
        .getExportsOfModule(moduleSymbol!)
        .filter((s) => {
          const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
          return (target.flags & ts.SymbolFlags.Value) !== 0;
        })
        .map((s) => s.getName())
        .filter((n) => n !== 'default')
        .sort();
      const runtime = Object.keys(resolveDslModule(spec, 'model.ts', null) as object)
        .filter((n) => n !== '__esModule' && n !== 'default')
        .sort();
      expect(runtime.length).toBeGreaterThan(5);
      expect({ spec, names: declared }).toEqual({ spec, names: runtime });
    }
  });

  it('cover every import specifier, with slashes and with dots', () => {
    const imports = dslModuleSpecifiers().map((s, i) => `import * as m${i} from "${s}";`).join('\n');
    expect(errors({ 'model.ts': `${imports}\nexport {};\n` })).toEqual([]);
    for (const spec of dslModuleSpecifiers()) expect(() => resolveDslModule(spec, 'model.ts', null)).not.toThrow();
  });
});
