import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../dsl/examples';
import { analyzeSources } from '../worker/analyze';
import { buildLayerRows, formatScales, formatZeroPoints } from './layerRows';

describe('the per-layer table', () => {
  it('joins the check table with scales, SQNR and LSB differences by node name', () => {
    const r = analyzeSources(EXAMPLES[0]!.files);
    if (!r.ok) throw new Error('analysis failed');
    const rows = buildLayerRows({
      check: r.check.qat.rows,
      quantization: [
        { name: 'conv1', dtype: 'qint8', scale: [0.05], zeroPoint: [0], observer: 'MinMaxObserver', weightDtype: 'qint8', weightScale: [0.01, 0.02] },
        { name: 'extra', dtype: 'qint16', scale: [0.001], zeroPoint: [0], observer: 'FixedScaleObserver' },
      ],
      validation: [{ name: 'conv1', sqnr: 31.5 }],
      fixed: [{ name: 'conv1', maxLsb: 1, meanLsb: 0.01 }, { name: 'conv2', sqnr: 28, maxLsb: 2 }],
    });
    expect(rows.map((row) => row.name)).toEqual(['quant', 'conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'classifier', 'dequant', 'extra']);
    expect(rows[1]).toEqual({
      name: 'conv1',
      type: 'ConvBnReLU2d',
      dtype: 'qint8',
      weightDtype: 'qint8',
      scale: [0.05],
      zeroPoint: [0],
      observer: 'MinMaxObserver',
      sqnr: 31.5,
      maxLsb: 1,
    });
    expect(rows[3]).toMatchObject({ name: 'conv2', scale: [], sqnr: 28, maxLsb: 2 });
    expect(rows.find((row) => row.name === 'classifier')!.dtype).toBe('qint32');
  });

  it('formats per-tensor and per-channel scales and zero points', () => {
    expect(formatScales([])).toBe('–');
    expect(formatScales([0.0123456])).toBe('0.01235');
    expect(formatScales([0.001, 0.5, 0.02])).toBe('3 ch · 1.000e-3…0.5000');
    expect(formatZeroPoints([0, 0, 0])).toBe('0');
    expect(formatZeroPoints([3, 7])).toBe('3…7');
  });
});
