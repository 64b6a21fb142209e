import { describe, expect, it } from 'vitest';
import type { SensitivityReport } from '../pipeline/sensitivity';
import { SENSITIVITY_DEFAULTS } from '../pipeline/sensitivity';
import { parseSensitivityTable } from '../quant/sensitivity';
import { pickSensitiveOps } from '../quant/setters';
import { int16Effect, rowsInTableOrder, sensitivityBars, sensitivityDownload, sensitivityRows, sensitivityTableRows, sortRows } from './sensitivityData';

const stats = (L1: number, SQNR: number, accuracy: number) => ({ L1, SQNR, accuracy });

const report: SensitivityReport = {
  settings: SENSITIVITY_DEFAULTS,
  nodes: [
    { node: 'quant', type: 'QuantStub', only: stats(0.01, 40, 1), all_but: stats(0.5, 2, 0.4) },
    { node: 'fc1', type: 'LinearReLU', only: stats(0.02, Infinity, 1), all_but: stats(0.5, 2, 0.4) },
    { node: 'fc2', type: 'LinearReLU', only: stats(0.5, 1, 0.3), all_but: stats(0.02, 35, 1) },
  ],
  table: [],
  tables: [
    { metric: 'L1', mode: 'only', rows: [['fc2', 'LinearReLU', 0.5], ['fc1', 'LinearReLU', 0.02], ['quant', 'QuantStub', 0.01]] },
    { metric: 'SQNR', mode: 'only', rows: [['fc2', 'LinearReLU', 1], ['quant', 'QuantStub', 40], ['fc1', 'LinearReLU', Infinity]] },
  ],
  float_accuracy: 1,
  all_quantized: stats(0.5, 1, 0.3),
  images: 32,
  layers: [{ node: 'fc2', type: 'LinearReLU', weight_sqnr: 48, activation_sqnr: 47, local_sqnr: 47, fixed_sqnr: 46.5, output_numel: 8 }],
  fixed: { available: true },
  mixed: null,
  seconds: 1,
};

describe('sensitivity panel data', () => {
  it('joins the per-node metrics with the per-layer SQNR', () => {
    const rows = sensitivityRows(report);
    expect(rows.map((r) => r.node)).toEqual(['quant', 'fc1', 'fc2']);
    expect(rows[2]).toMatchObject({ only_L1: 0.5, all_but_accuracy: 1, weight_sqnr: 48, fixed_sqnr: 46.5, int16: false });
    expect(rows[0]!.weight_sqnr).toBeNull();
  });

  it('sorts by any column, both ways, with missing values last', () => {
    const rows = sensitivityRows(report);
    expect(sortRows(rows, 'only_L1', true).map((r) => r.node)).toEqual(['fc2', 'fc1', 'quant']);
    expect(sortRows(rows, 'only_L1', false).map((r) => r.node)).toEqual(['quant', 'fc1', 'fc2']);
    expect(sortRows(rows, 'weight_sqnr', false).map((r) => r.node)).toEqual(['fc2', 'quant', 'fc1']);
    expect(sortRows(rows, 'only_SQNR', true).map((r) => r.node)).toEqual(['fc1', 'quant', 'fc2']);
    expect(sortRows(rows, 'node', false).map((r) => r.node)).toEqual(['fc1', 'fc2', 'quant']);
  });

  it('bars: most sensitive first with the longest bar, for a larger-is-worse and a smaller-is-worse metric', () => {
    for (const metric of ['L1', 'SQNR'] as const) {
      const bars = sensitivityBars(report, metric, 'only');
      expect(bars[0]!.node).toBe('fc2');
      expect(bars[0]!.length).toBe(1);
      for (let i = 1; i < bars.length; i++) expect(bars[i]!.length).toBeLessThanOrEqual(bars[i - 1]!.length);
      for (const b of bars) expect(b.length).toBeGreaterThan(0);
    }
    expect(sensitivityBars(report, 'SQNR', 'only')[2]!.label).toBe('∞ dB');
    expect(sensitivityBars(report, 'accuracy', 'all_but')).toEqual([]);
  });

  it('the download is the setter-ready table', () => {
    const file = sensitivityDownload(report, 'SQNR', 'only')!;
    expect(file.name).toBe('output_0_SQNR_only_sensitive_ops.json');
    const table = parseSensitivityTable(file.text);
    expect(table[2]).toEqual(['fc1', 'LinearReLU', Infinity]);
    expect(pickSensitiveOps(table, { topk: 1 })).toEqual(['fc2']);
    expect(pickSensitiveOps(table, { ratio: 0.5 })).toEqual(['fc2', 'quant']);
  });

  it('until a header is clicked, the rows follow the chosen table (the bars\' and the download\'s order)', () => {
    const rows = sensitivityRows(report);
    expect(rowsInTableOrder(rows, report, 'L1', 'only').map((r) => r.node)).toEqual(['fc2', 'fc1', 'quant']);
    expect(rowsInTableOrder(rows, report, 'SQNR', 'only').map((r) => r.node)).toEqual(['fc2', 'quant', 'fc1']);
    expect(rowsInTableOrder(rows, report, 'SQNR', 'only')[0]!.node).toBe(sensitivityBars(report, 'SQNR', 'only')[0]!.node);
    // No such table: graph order.
    expect(rowsInTableOrder(rows, report, 'accuracy', 'all_but').map((r) => r.node)).toEqual(['quant', 'fc1', 'fc2']);
    expect(sensitivityTableRows(report, 'SQNR', 'only')).toEqual(parseSensitivityTable(sensitivityDownload(report, 'SQNR', 'only')!.text));
  });

  it('int16 for the top k: an op with an int32 output is picked but keeps its dtype', () => {
    const rows = sensitivityTableRows(report, 'L1', 'only');
    expect(int16Effect(rows, 2, new Set(['fc2']))).toEqual({ changed: ['fc1'], unchanged: ['fc2'] });
    expect(int16Effect(rows, 1, new Set())).toEqual({ changed: ['fc2'], unchanged: [] });
    expect(int16Effect(rows, 0, new Set(['fc2']))).toEqual({ changed: [], unchanged: [] });
  });
});
