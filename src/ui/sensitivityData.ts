/**
 * What the sensitivity panel shows, as plain functions: the per-node rows (every metric joined with the
 * per-layer SQNR), their sorting, the bars of one table and the JSON file the download gives.
 */
import type { SensitivityReport } from '../pipeline/sensitivity';
import { largerIsMoreSensitive, sensitivityTableJson, type SensitivityMetric, type SensitivityMode } from '../quant/sensitivity';

export interface SensitivityViewRow {
  node: string;
  type: string;
  only_L1: number | null;
  only_SQNR: number | null;
  only_accuracy: number | null;
  all_but_L1: number | null;
  all_but_SQNR: number | null;
  all_but_accuracy: number | null;
  weight_sqnr: number | null;
  activation_sqnr: number | null;
  fixed_sqnr: number | null;
  int16: boolean;
}

export type SensitivityColumn = Exclude<keyof SensitivityViewRow, 'int16'>;

export const SENSITIVITY_COLUMNS: readonly { key: SensitivityColumn; label: string; title: string }[] = [
  { key: 'node', label: 'Node', title: 'Module path (what the sensitive_op setters and ModuleNameQconfigSetter take)' },
  { key: 'type', label: 'Type', title: 'Op type' },
  { key: 'only_L1', label: 'only: L1', title: 'Only this node fake-quantized: mean |output − float|' },
  { key: 'only_SQNR', label: 'only: SQNR', title: 'Only this node fake-quantized: output SQNR against float (dB)' },
  { key: 'only_accuracy', label: 'only: acc', title: 'Only this node fake-quantized: accuracy' },
  { key: 'all_but_L1', label: 'all but: L1', title: 'Everything but this node fake-quantized: mean |output − float|' },
  { key: 'all_but_SQNR', label: 'all but: SQNR', title: 'Everything but this node fake-quantized: output SQNR (dB)' },
  { key: 'all_but_accuracy', label: 'all but: acc', title: 'Everything but this node fake-quantized: accuracy' },
  { key: 'weight_sqnr', label: 'weight SQNR', title: 'Weight vs its fake-quantized weight (dB)' },
  { key: 'activation_sqnr', label: 'act SQNR', title: "This node's output, float vs fake-quant model (dB)" },
  { key: 'fixed_sqnr', label: 'fixed SQNR', title: "This node's output, float vs fixed-point model (dB)" },
];

export function sensitivityRows(report: SensitivityReport): SensitivityViewRow[] {
  const layers = new Map((report.layers ?? []).map((l) => [l.node, l]));
  const int16 = new Set(report.mixed?.int16 ?? []);
  return report.nodes.map((n) => {
    const l = layers.get(n.node);
    return {
      node: n.node,
      type: n.type,
      only_L1: n.only?.L1 ?? null,
      only_SQNR: n.only?.SQNR ?? null,
      only_accuracy: n.only?.accuracy ?? null,
      all_but_L1: n.all_but?.L1 ?? null,
      all_but_SQNR: n.all_but?.SQNR ?? null,
      all_but_accuracy: n.all_but?.accuracy ?? null,
      weight_sqnr: l?.weight_sqnr ?? null,
      activation_sqnr: l?.activation_sqnr ?? null,
      fixed_sqnr: l?.fixed_sqnr ?? null,
      int16: int16.has(n.node),
    };
  });
}

/** Sorted copy; nulls last in either direction; ties keep graph order. */
export function sortRows(rows: readonly SensitivityViewRow[], key: SensitivityColumn, descending: boolean): SensitivityViewRow[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      const x = a.row[key];
      const y = b.row[key];
      if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
      const c = typeof x === 'string' ? x.localeCompare(y as string) : (x as number) === (y as number) ? 0 : (x as number) < (y as number) ? -1 : 1;
      return (descending ? -c : c) || a.i - b.i;
    })
    .map((e) => e.row);
}

export interface SensitivityBar {
  node: string;
  type: string;
  value: number;
  /** 0..1 of the chart width. */
  length: number;
  label: string;
}

export function formatMetric(metric: SensitivityMetric, value: number | null): string {
  if (value === null) return '–';
  if (metric === 'accuracy') return `${(value * 100).toFixed(1)}%`;
  if (metric === 'SQNR') return Number.isFinite(value) ? `${value.toFixed(1)} dB` : '∞ dB';
  return value < 1e-3 && value !== 0 ? value.toExponential(2) : value.toFixed(4);
}

/**
 * One bar per node of the table for `metric`/`mode`, most sensitive first. The bar is the sensitivity
 * the metric shows, so a longer bar is always more sensitive: L1 (only) and the drops below the best
 * for SQNR and accuracy (an infinite SQNR counts as the best finite one plus 10 dB).
 */
export function sensitivityBars(report: SensitivityReport, metric: SensitivityMetric, mode: SensitivityMode): SensitivityBar[] {
  const table = report.tables.find((t) => t.metric === metric && t.mode === mode);
  if (!table) return [];
  const values = table.rows.map((r) => r[2]);
  const finite = values.filter(Number.isFinite);
  const cap = finite.length ? Math.max(...finite) + 10 : 10;
  const v = values.map((x) => (Number.isFinite(x) ? x : cap));
  const larger = largerIsMoreSensitive(metric, mode);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  // Sensitivity score: the distance from the least sensitive end, plus a small floor so every bar shows.
  const score = v.map((x) => (larger ? x - Math.min(0, lo) : hi - x));
  const top = Math.max(...score, 0);
  return table.rows.map((r, i) => ({
    node: r[0],
    type: r[1],
    value: r[2],
    length: top > 0 ? 0.02 + 0.98 * (score[i]! / top) : 0.02,
    label: formatMetric(metric, r[2]),
  }));
}

/** The download: the debug tool's table (`output_0_<metric>_<mode>_sensitive_ops.json`). */
export function sensitivityDownload(report: SensitivityReport, metric: SensitivityMetric, mode: SensitivityMode): { name: string; text: string } | null {
  const table = report.tables.find((t) => t.metric === metric && t.mode === mode);
  if (!table) return null;
  return { name: `output_0_${metric}_${mode}_sensitive_ops.json`, text: sensitivityTableJson(table.rows) };
}

/** The rows in the order of the table for `metric`/`mode` (most sensitive first, as the bars and the download); rows it lacks follow in graph order. */
export function rowsInTableOrder(rows: readonly SensitivityViewRow[], report: SensitivityReport, metric: SensitivityMetric, mode: SensitivityMode): SensitivityViewRow[] {
  const table = report.tables.find((t) => t.metric === metric && t.mode === mode);
  if (!table) return [...rows];
  const rank = new Map(table.rows.map((r, i) => [r[0], i]));
  return rows
    .map((row, i) => ({ row, i, rank: rank.get(row.node) ?? table.rows.length + i }))
    .sort((a, b) => a.rank - b.rank)
    .map((e) => e.row);
}

/** The table for `metric`/`mode` as [node, type, value] rows, most sensitive first (what "use in qconfig.ts" writes). */
export function sensitivityTableRows(report: SensitivityReport, metric: SensitivityMetric, mode: SensitivityMode): [string, string, number][] {
  return (report.tables.find((t) => t.metric === metric && t.mode === mode)?.rows ?? []).map((r) => [r[0], r[1], r[2]]);
}

/**
 * What int16 activations for the first `topk` rows change: ops whose output stays high precision
 * (the final conv/linear's int32 output, as the check table shows it) are picked by the setter's topk
 * but keep their dtype, so a person is told rather than left to wonder why nothing changed.
 */
export function int16Effect(rows: readonly (readonly [string, string, number])[], topk: number, int32Outputs: ReadonlySet<string>): { changed: string[]; unchanged: string[] } {
  const picked = rows.slice(0, topk).map((r) => r[0]);
  return { changed: picked.filter((n) => !int32Outputs.has(n)), unchanged: picked.filter((n) => int32Outputs.has(n)) };
}
