/**
 * The benchmark page: runs the cases named in `?only=` (default: all) one after another in this page,
 * shows a table, and leaves the rows in `window.__bench` for bench/run.mjs. Add a row by adding a case
 * to CASES (bench/cases/*.ts): fake-quant GB/s against copy, a QAT step against a float step, int8
 * inference against ONNX Runtime Web.
 */
import type { BenchCase, BenchRow } from './cases/types';
import { copyCase } from './cases/copy';
import { trainEngineCase } from './cases/train_engine';
import { trainTfjsCase } from './cases/train_tfjs';
import { trainRatioCase } from './cases/ratio';
import { fakeQuantCase, fakeQuantRatioCase } from './cases/fake_quant';
import { trainQatCase, qatStepRatioCase } from './cases/train_qat';
import { fixedEngineCase, fixedOrtCase, fixedRatioCase } from './cases/fixed';

const CASES: BenchCase[] = [copyCase, trainEngineCase, trainTfjsCase, trainRatioCase, fakeQuantCase, fakeQuantRatioCase, trainQatCase, qatStepRatioCase, fixedEngineCase, fixedOrtCase, fixedRatioCase];

interface BenchState {
  done: boolean;
  rows: BenchRow[];
  log: string[];
  error?: string;
}

const state: BenchState = { done: false, rows: [], log: [] };
(window as unknown as { __bench: BenchState }).__bench = state;

function log(message: string): void {
  state.log.push(message);
  console.log(`[bench] ${message}`);
  document.getElementById('status')!.textContent = message;
}

function show(row: BenchRow): void {
  const tr = document.createElement('tr');
  for (const [text, cls] of [[row.label, ''], [row.value.toFixed(row.unit === '×' ? 2 : 1), 'value'], [row.unit, ''], [row.note ?? '', '']]) {
    const td = document.createElement('td');
    td.textContent = text!;
    if (cls) td.className = cls;
    tr.append(td);
  }
  document.getElementById('rows')!.append(tr);
}

/** The cases to run: the requested ones and what they need, in CASES order. */
function selected(only: string[] | null): BenchCase[] {
  if (!only) return CASES;
  const wanted = new Set<string>();
  const add = (id: string) => {
    const c = CASES.find((k) => k.id === id);
    if (!c) throw new Error(`no benchmark '${id}' (have: ${CASES.map((k) => k.id).join(', ')})`);
    wanted.add(id);
    c.after?.forEach(add);
  };
  only.forEach(add);
  return CASES.filter((c) => wanted.has(c.id));
}

async function main(): Promise<void> {
  const only = new URLSearchParams(location.search).get('only');
  const results = new Map<string, BenchRow>();
  for (const c of selected(only ? only.split(',') : null)) {
    log(`running ${c.id}`);
    const rows = await c.run({ log, results });
    for (const row of rows) {
      results.set(row.id, row);
      state.rows.push(row);
      show(row);
      console.log(`[bench-row] ${JSON.stringify(row)}`);
    }
  }
  log('done');
}

main()
  .catch((e: unknown) => {
    state.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    log(`error: ${state.error}`);
  })
  .finally(() => {
    state.done = true;
  });
