/**
 * The per-layer table: the check table's nodes (name, type, dtypes, observer) joined with what the
 * stages measured: scales and zero points (QAT, else calibration), SQNR against float (validation) and
 * the fake-quant vs fixed-point difference in LSB (fixed).
 */
import type { CheckRow } from '../dsl/index';
import type { LayerComparison, LayerQuantization, LayerRow } from '../worker/results';

export interface LayerSources {
  check: CheckRow[] | null;
  quantization: LayerQuantization[] | null;
  validation: LayerComparison[] | null;
  fixed: LayerComparison[] | null;
}

const SHOWN_KINDS = new Set(['quant_stub', 'weighted', 'observed', 'passthrough', 'dequant_stub', 'unsupported']);

export function buildLayerRows(sources: LayerSources): LayerRow[] {
  const quant = new Map(sources.quantization?.map((q) => [q.name, q]) ?? []);
  const sqnr = new Map(sources.validation?.map((c) => [c.name, c]) ?? []);
  const fixed = new Map(sources.fixed?.map((c) => [c.name, c]) ?? []);
  const rows: LayerRow[] = [];
  const names = new Set<string>();
  for (const row of sources.check ?? []) {
    if (!SHOWN_KINDS.has(row.kind)) continue;
    names.add(row.name);
    // Stages name layers by module path (the row's target); generated ops by their node name.
    const q = quant.get(row.target) ?? quant.get(row.name);
    if (q) names.add(q.name);
    rows.push({
      name: row.name,
      type: row.type,
      dtype: q?.dtype ?? row.output_dtype,
      weightDtype: q?.weightDtype ?? row.weight_dtype,
      scale: q?.scale ?? [],
      zeroPoint: q?.zeroPoint ?? [],
      observer: q?.observer ?? row.observer,
      sqnr: sqnr.get(row.name)?.sqnr ?? fixed.get(row.name)?.sqnr ?? null,
      maxLsb: fixed.get(row.name)?.maxLsb ?? null,
    });
  }
  // Layers the stages report that the check table does not list (it has not run on this code).
  for (const q of sources.quantization ?? []) {
    if (names.has(q.name)) continue;
    rows.push({
      name: q.name,
      type: '',
      dtype: q.dtype,
      weightDtype: q.weightDtype ?? null,
      scale: q.scale,
      zeroPoint: q.zeroPoint,
      observer: q.observer,
      sqnr: sqnr.get(q.name)?.sqnr ?? fixed.get(q.name)?.sqnr ?? null,
      maxLsb: fixed.get(q.name)?.maxLsb ?? null,
    });
  }
  return rows;
}

/** One scale or a per-channel range: "0.0123" or "16 ch · 0.0012…0.0345". */
export function formatScales(values: readonly number[]): string {
  if (values.length === 0) return '–';
  const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(4) : v.toExponential(3));
  if (values.length === 1) return fmt(values[0]!);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === hi ? `${values.length} ch · ${fmt(lo)}` : `${values.length} ch · ${fmt(lo)}…${fmt(hi)}`;
}

export function formatZeroPoints(values: readonly number[]): string {
  if (values.length === 0) return '–';
  const distinct = [...new Set(values)];
  return distinct.length === 1 ? String(distinct[0]) : `${Math.min(...values)}…${Math.max(...values)}`;
}
