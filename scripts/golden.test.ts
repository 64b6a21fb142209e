import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestDevice } from '../src/testing/gpu';
import { parseGolden, type GoldenFile } from '../src/quant/numerics/golden_format';
import { formatLine, runGolden } from './golden';

beforeAll(async () => {
  await getTestDevice();
});

const text = readFileSync('golden/pytorch_quant.json', 'utf8');

describe('npm run golden on golden/pytorch_quant.json', () => {
  it('reproduces every case on the CPU reference and on the WGSL kernels', async () => {
    const file = parseGolden(text);
    const report = await runGolden(file);
    const failed = report.lines.filter((l) => !l.passed).map(formatLine);
    expect(failed).toEqual([]);
    // Every case of every section, on both backends (quantized_conv2d in both requant modes).
    const cases =
      file.fake_quantize!.length + file.observers!.length + file.learnable_fake_quantize!.length + 2 * file.quantized_conv2d!.length;
    expect(report.passed).toBe(2 * cases);
    expect(report.notCovered).toEqual([]);
  });

  it('fails the cases of a file whose numbers are off, on both backends, naming what differs', async () => {
    const file = parseGolden(text) as GoldenFile;
    const fq = file.fake_quantize![0]!;
    if (fq.kind !== 'per_tensor') throw new Error('expected a per-tensor first case');
    fq.y[5] = Math.fround(fq.y[5]! + fq.scale); // one value one step off
    file.observers![1]!.zero_point = [1];
    file.learnable_fake_quantize![0]!.dscale = [file.learnable_fake_quantize![0]!.dscale[0]! * (1 + 1e-4)];
    const small: GoldenFile = {
      fake_quantize: [fq],
      observers: [file.observers![1]!],
      learnable_fake_quantize: [file.learnable_fake_quantize![0]!],
      extra_section: [{}],
    } as GoldenFile;
    const report = await runGolden(small);
    expect(report.failed).toBe(6);
    expect(report.passed).toBe(0);
    const byKey = new Map(report.lines.map((l) => [`${l.backend} ${l.section}`, l.detail]));
    expect(byKey.get('cpu fake_quantize')).toMatch(/^y: 1 of 80 differ \(first \[5\]/);
    expect(byKey.get('gpu fake_quantize')).toMatch(/^y: 1 of 80 differ/);
    expect(byKey.get('gpu observers')).toMatch(/zero_point\[0\]: ours 0, PyTorch 1/);
    expect(byKey.get('gpu learnable_fake_quantize')).toMatch(/dscale\[0\].*relative error/);
    expect(report.notCovered).toEqual(['extra_section']);
  });

  it('rejects a file that is not in the format', () => {
    expect(() => parseGolden('{"fake_quantize": 3}', 'x.json')).toThrow(/x.json: 'fake_quantize' must be a list/);
    expect(() => parseGolden('[1]', 'x.json')).toThrow(/top level must be an object/);
    expect(() => parseGolden('{"other": []}', 'x.json')).toThrow(/none of the sections/);
    expect(() => parseGolden('{', 'x.json')).toThrow(/not valid JSON/);
  });
});
