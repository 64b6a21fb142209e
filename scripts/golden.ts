/**
 * npm run golden -- [file]
 *
 * Checks a golden file (default golden/pytorch_quant.json; any file in that format made from PyTorch)
 * against both the CPU reference and the WGSL kernels on a real WebGPU device, one line per case and
 * backend, ending with `N passed, M failed`; exits non-zero on any failure. Sections:
 *   fake_quantize, observers, learnable_fake_quantize   (src/quant: numerics/ and kernels/)
 *   quantized_conv2d                                    (src/fixed: the integer executor, both requant modes)
 * Tolerances are those of numerics/golden_cpu.ts and src/fixed/golden.ts.
 */
import { readFileSync } from 'node:fs';
import { parseGolden, type GoldenFile } from '../src/quant/numerics/golden_format';
import type { Comparison } from '../src/quant/numerics/golden_compare';
import {
  checkFakeQuantizeCpu,
  compareLsq,
  compareObserver,
  fakeQuantizeCaseName,
  lsqCaseName,
  observerCaseName,
  runLsqCpu,
  runObserverCpu,
} from '../src/quant/numerics/golden_cpu';
import { checkFakeQuantizeGpu, checkLsqGpu, checkObserverGpu, resolveObserver } from '../src/quant/kernels/golden_gpu';
import { checkQuantizedConv2dCase } from '../src/fixed/golden';

export type Backend = 'cpu' | 'gpu';

export interface GoldenLine {
  section: string;
  index: number;
  backend: Backend;
  name: string;
  passed: boolean;
  detail: string;
}

export interface GoldenReport {
  lines: GoldenLine[];
  passed: number;
  failed: number;
  /** Sections present in the file that nothing here checks yet (not counted). */
  notCovered: string[];
}

/** One check: a function of a case and a backend; a thrown error is a failed case with its message. */
type Check<C> = (c: C, backend: Backend) => Promise<Comparison> | Comparison;

interface Section<C> {
  name: keyof GoldenFile;
  caseName(c: C): string;
  /** Variants of a case checked separately (requantization modes); default one. */
  variants?: readonly string[];
  check(variant: string | undefined): Check<C>;
}

/** The sections this runner checks. A new section (or a new executor) is one more entry. */
const SECTIONS: Section<never>[] = [
  {
    name: 'fake_quantize',
    caseName: fakeQuantizeCaseName,
    check: () => (c, backend) => (backend === 'cpu' ? checkFakeQuantizeCpu(c) : checkFakeQuantizeGpu(c)),
  } satisfies Section<Parameters<typeof fakeQuantizeCaseName>[0]>,
  {
    name: 'observers',
    caseName: observerCaseName,
    check: () => (c, backend) => (backend === 'cpu' ? compareObserver(c, runObserverCpu(c, resolveObserver(c))) : checkObserverGpu(c)),
  } satisfies Section<Parameters<typeof observerCaseName>[0]>,
  {
    name: 'learnable_fake_quantize',
    caseName: lsqCaseName,
    check: () => (c, backend) => (backend === 'cpu' ? compareLsq(c, runLsqCpu(c)) : checkLsqGpu(c)),
  } satisfies Section<Parameters<typeof lsqCaseName>[0]>,
  {
    name: 'quantized_conv2d',
    caseName: (c) => `[${c.x_shape.join('x')}] * [${c.w_shape.join('x')}] stride=${c.stride} padding=${c.padding} relu=${c.relu}`,
    variants: ['float', 'multiplier'],
    check: (variant) => async (c, backend) => {
      const mode = variant as 'float' | 'multiplier';
      const r = await checkQuantizedConv2dCase(c, { backend, mode });
      return { ok: r.passed, detail: `${mode} requant: ${r.message}${mode === 'multiplier' ? ' (1 LSB allowed)' : ''}` };
    },
  } satisfies Section<Parameters<typeof checkQuantizedConv2dCase>[0]>,
] as unknown as Section<never>[];

export async function runGolden(file: GoldenFile, backends: readonly Backend[] = ['cpu', 'gpu']): Promise<GoldenReport> {
  const lines: GoldenLine[] = [];
  const known = new Set(SECTIONS.map((s) => s.name));
  const notCovered = Object.keys(file).filter((k) => Array.isArray((file as Record<string, unknown>)[k]) && !known.has(k as keyof GoldenFile));
  for (const section of SECTIONS) {
    const cases = (file[section.name] ?? []) as never[];
    for (const backend of backends) {
      for (const [index, c] of cases.entries()) {
        for (const variant of section.variants ?? [undefined]) {
          let name = `${section.name}[${index}]`;
          let comparison: Comparison;
          try {
            name = `${name} ${section.caseName(c)}`;
            comparison = await section.check(variant)(c, backend);
          } catch (e) {
            comparison = { ok: false, detail: `error: ${(e as Error).message}` };
          }
          lines.push({ section: section.name, index, backend, name, passed: comparison.ok, detail: comparison.detail });
        }
      }
    }
  }
  const passed = lines.filter((l) => l.passed).length;
  return { lines, passed, failed: lines.length - passed, notCovered };
}

export function formatLine(l: GoldenLine): string {
  return `${l.passed ? 'PASS' : 'FAIL'} ${l.backend} ${l.name} — ${l.detail}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const path = args[0] ?? 'golden/pytorch_quant.json';
  const file = parseGolden(readFileSync(path, 'utf8'), path);
  // The WebGPU device of the unit tests: Dawn (the `webgpu` package) on SwiftShader's Vulkan driver.
  const { gpuTestEnv } = await import('../src/testing/gpuEnv');
  Object.assign(process.env, gpuTestEnv(process.env));
  const { getTestDevice, closeTestDevice } = await import('../src/testing/gpu');
  await getTestDevice();
  try {
    console.log(`golden: ${path}${file.source ? ` (${file.source})` : ''}`);
    const report = await runGolden(file);
    for (const l of report.lines) console.log(formatLine(l));
    for (const s of report.notCovered) console.log(`note: section '${s}' is not covered yet (its cases are not counted)`);
    console.log(`${report.passed} passed, ${report.failed} failed`);
    return report.failed === 0 ? 0 : 1;
  } finally {
    await closeTestDevice();
  }
}

// Top-level await: vite-node closes its module server once this module has been evaluated, and the
// checks import modules lazily.
if (!process.env.VITEST) {
  let code: number;
  try {
    code = await main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    code = 2;
  }
  process.exit(code);
}
