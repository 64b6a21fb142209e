import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../dsl/examples';
import { liveTensorCount } from '../engine/tensor';
import { analyzeSources } from './analyze';

const reference = EXAMPLES.find((e) => e.id === 'reference_cnn')!.files;

describe('analyzeSources (the code check)', () => {
  it('traces, fuses and prepares the reference CNN and frees what it made', () => {
    const before = liveTensorCount();
    const r = analyzeSources(reference);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(liveTensorCount()).toBe(before);
    expect(r.traced.map((n) => n.name)).toContain('bn1');
    expect(r.fused.map((n) => n.name)).not.toContain('bn1');
    const conv1 = r.fused.find((n) => n.name === 'conv1')!;
    expect(conv1).toMatchObject({ type: 'ConvBnReLU2d', dtype: 'qint8', fused_from: ['conv1', 'bn1', 'relu1'] });
    expect(r.fused.find((n) => n.name === 'classifier')!.dtype).toBe('qint32');
    expect(r.check.qat.rows.find((row) => row.name === 'conv2')).toMatchObject({ weight_dtype: 'qint8', output_dtype: 'qint8' });
    expect(r.check.calibration.text).toContain('model check result');
    // Conv 1→16 (144+16), BN 16 (32), conv 16→32 (4608+32), BN 32 (64), linear 1568→10 (15680+10).
    expect(r.parameters).toBe(160 + 32 + 4640 + 64 + 15690);
    expect(r.floatBytes).toBe(r.parameters * 4);
    expect(r.qconfigSettings.qat).toMatchObject({ epochs: 1, lr: 0.001 });
    expect(r.qconfigSettings.float).toMatchObject({ epochs: 3, lr: 0.05 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('checks every gallery example', () => {
    for (const example of EXAMPLES) {
      const r = analyzeSources(example.files);
      expect(r.ok, `${example.id}: ${JSON.stringify(r.ok ? null : r.diagnostics)}`).toBe(true);
    }
  });

  it('reports a syntax error at its file, line and column', () => {
    const model = reference['model.ts'].replace('x = torch.flatten(x, 1);', 'x = torch.flatten(x, 1;');
    const r = analyzeSources({ ...reference, 'model.ts': model });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = model.split('\n').findIndex((l) => l.includes('torch.flatten(x, 1;')) + 1;
    expect(r.diagnostics[0]).toMatchObject({ file: 'model.ts', line, severity: 'error' });
  });

  it('reports a runtime error in qconfig.ts there', () => {
    const r = analyzeSources({ ...reference, 'qconfig.ts': 'const a = 1;\nthrow new Error("no config here");\n' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]).toMatchObject({ file: 'qconfig.ts', line: 2 });
    expect(r.diagnostics[0]!.message).toContain('no config here');
  });

  it('reports a trace error at the line of the forward that cannot be traced', () => {
    const model = reference['model.ts'].replace('x = torch.flatten(x, 1);', 'if (x) { x = x; }\n    x = torch.flatten(x, 1);');
    const r = analyzeSources({ ...reference, 'model.ts': model });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = model.split('\n').findIndex((l) => l.includes('if (x)')) + 1;
    expect(r.diagnostics[0]).toMatchObject({ file: 'model.ts', line });
  });
});
