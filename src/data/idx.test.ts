import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, IdxError, normalizeImages, parseIdx, toDataset } from './idx';
import { makeIdx } from './testFiles';

describe('parseIdx', () => {
  it('reads the shape (big-endian) and the values of a good file', () => {
    const values = Array.from({ length: 2 * 3 * 300 }, (_, i) => i % 256);
    const parsed = parseIdx(makeIdx([2, 3, 300], values), 'good.idx');
    expect(parsed.shape).toEqual([2, 3, 300]);
    expect([...parsed.data]).toEqual(values);
  });

  it('reads rank 1 (labels)', () => {
    expect(parseIdx(makeIdx([4], [9, 0, 0, 3]), 'labels').shape).toEqual([4]);
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = makeIdx([2], [1, 2]);
    bytes[0] = 0x1f;
    bytes[1] = 0x8b;
    expect(() => parseIdx(bytes, 'a.idx')).toThrow(new IdxError('a.idx', 'wrong magic number 0x1f8b0801 (an IDX file starts with 0x0000): not an IDX file'));
  });

  it('rejects element types other than unsigned bytes', () => {
    const bytes = makeIdx([2], [1, 2]);
    bytes[2] = 0x0d;
    expect(() => parseIdx(bytes, 'f.idx')).toThrow('f.idx: element type 0xd is not supported (only unsigned bytes, 0x08)');
  });

  it('rejects a rank of 0', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 0), 'r.idx')).toThrow('r.idx: rank 0 is not 1 to 4');
  });

  it('rejects files too short for a header', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0), 'short.idx')).toThrow('short.idx: truncated: 2 bytes, not even a header');
    expect(() => parseIdx(makeIdx([2, 2, 2], new Uint8Array(8)).subarray(0, 10), 'hdr.idx')).toThrow('hdr.idx: truncated header: 10 of 16 bytes');
  });

  it('rejects a truncated payload, saying how much is missing', () => {
    const bytes = makeIdx([10, 28, 28], new Uint8Array(10 * 28 * 28));
    expect(() => parseIdx(bytes.subarray(0, bytes.length - 784), 't.idx')).toThrow(
      't.idx: truncated: the header promises 7840 values [10 × 28 × 28], the file has 7056',
    );
  });

  it('rejects trailing bytes', () => {
    const bytes = makeIdx([3], [1, 2, 3]);
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    expect(() => parseIdx(longer, 'x.idx')).toThrow('x.idx: 2 bytes after the last value [3]');
  });
});

describe('normalization', () => {
  it('maps p to (p / 255 - mean) / std', () => {
    const out = normalizeImages(Uint8Array.of(0, 73, 255));
    for (const [i, p] of [0, 73, 255].entries()) {
      expect(out[i]).toBeCloseTo((p / 255 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD, 5);
    }
    expect(FASHION_MNIST_MEAN).toBe(0.286);
    expect(FASHION_MNIST_STD).toBe(0.353);
  });

  it('builds a labelled dataset and checks that images and labels agree', () => {
    const images = parseIdx(makeIdx([2, 2, 2], [0, 255, 0, 255, 10, 20, 30, 40]), 'i');
    const labels = parseIdx(makeIdx([2], [9, 1]), 'l');
    const dataset = toDataset(images, labels);
    expect(dataset.count).toBe(2);
    expect(dataset.imageShape).toEqual([1, 2, 2]);
    expect([...dataset.labels]).toEqual([9, 1]);
    expect(dataset.classes[9]).toBe('Ankle boot');
    expect(dataset.images).toHaveLength(8);
    expect(() => toDataset(images, parseIdx(makeIdx([3], [0, 1, 2]), 'l3'))).toThrow('images and labels disagree: 2 images, 3 labels');
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
  });
});
