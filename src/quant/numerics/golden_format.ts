/**
 * The golden file format (golden/pytorch_quant.json): cases PyTorch computed, which the CPU reference
 * and the WGSL kernels must reproduce. Written by a PyTorch script; another file made the same way can
 * be checked with `npm run golden -- <file>`.
 */
export interface GoldenFakeQuantizePerTensor {
  kind: 'per_tensor';
  x: number[];
  scale: number;
  zero_point: number;
  quant_min: number;
  quant_max: number;
  y: number[];
  dx: number[];
}

export interface GoldenFakeQuantizePerChannel {
  kind: 'per_channel';
  shape: number[];
  axis: number;
  x: number[];
  scale: number[];
  zero_point: number[];
  quant_min: number;
  quant_max: number;
  y: number[];
  dx: number[];
}

export type GoldenFakeQuantize = GoldenFakeQuantizePerTensor | GoldenFakeQuantizePerChannel;

export interface GoldenObserverConfig {
  cls: string;
  dtype: string;
  qscheme: string;
  [option: string]: unknown;
}

export interface GoldenBatch {
  shape: number[];
  data: number[];
}

export interface GoldenObserver {
  config: GoldenObserverConfig;
  observer: string;
  batches: GoldenBatch[];
  scale: number[];
  zero_point: number[];
  min_val: number[];
  max_val: number[];
  /** Optional: the histogram after the last batch (HistogramObserver). */
  histogram?: number[];
}

export interface GoldenLearnableFakeQuantize {
  x: number[];
  dy: number[];
  scale: number | number[];
  zero_point: number | number[];
  quant_min: number;
  quant_max: number;
  use_grad_scaling: boolean;
  /** Present for per-channel cases. */
  shape?: number[];
  axis?: number;
  y: number[];
  dx: number[];
  dscale: number[];
  dzero_point: number[];
}

export interface GoldenQuantizedConv2d {
  x_int: number[];
  x_shape: number[];
  x_scale: number;
  x_zero_point: number;
  w_int: number[];
  w_shape: number[];
  w_scale: number;
  bias_float: number[];
  stride: number;
  padding: number;
  relu: boolean;
  y_scale: number;
  y_zero_point: number;
  y_int: number[];
  y_shape: number[];
}

export interface GoldenFile {
  source?: string;
  seed?: number;
  fake_quantize?: GoldenFakeQuantize[];
  observers?: GoldenObserver[];
  learnable_fake_quantize?: GoldenLearnableFakeQuantize[];
  quantized_conv2d?: GoldenQuantizedConv2d[];
}

export const GOLDEN_SECTIONS = ['fake_quantize', 'observers', 'learnable_fake_quantize', 'quantized_conv2d'] as const;
export type GoldenSection = (typeof GOLDEN_SECTIONS)[number];

/** Parses and shape-checks a golden file, naming the first thing that is wrong. */
export function parseGolden(text: string, name = 'golden file'): GoldenFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${name}: the top level must be an object`);
  const file = data as Record<string, unknown>;
  for (const section of GOLDEN_SECTIONS) {
    if (file[section] !== undefined && !Array.isArray(file[section])) throw new Error(`${name}: '${section}' must be a list of cases`);
  }
  if (!GOLDEN_SECTIONS.some((s) => Array.isArray(file[s]))) {
    throw new Error(`${name}: none of the sections ${GOLDEN_SECTIONS.join(', ')} is present`);
  }
  return file as GoldenFile;
}
