/**
 * How the stages depend on each other and on the page's inputs, and from that whether a finished
 * stage's result still matches them. A stage's input key hashes what it read: the code, its settings,
 * and the run ids of the results it built on. A result whose key no longer matches, or that built on a
 * result that is not current, is stale: shown, never silently reused.
 */
import type { StageName } from '../pipeline/types';
import type { SourceFile } from '../editor/defaultSources';
import type { AnalysisResult } from '../worker/results';
import type { SettingsOverrides } from './settings';

/** The page's order of the stages. */
export const STAGES: readonly StageName[] = ['float', 'calibration', 'validation', 'qat', 'convert', 'fixed', 'check', 'compile', 'sensitivity'];

export const STAGE_TITLES: Record<StageName, string> = {
  float: 'Float training',
  calibration: 'Calibration',
  validation: 'Validation',
  qat: 'QAT',
  convert: 'Convert',
  fixed: 'Fixed-point accuracy',
  check: 'Check',
  compile: 'Compile & export',
  sensitivity: 'Sensitivity',
};

/** The earlier stages whose results a stage reads. */
export function upstreamOf(stage: StageName, settings: SettingsOverrides): StageName[] {
  switch (stage) {
    case 'float':
      return [];
    case 'calibration':
      return ['float'];
    case 'validation':
      return ['calibration'];
    case 'qat':
      return ['calibration'];
    case 'convert':
      return [settings.convert.from ?? 'qat'];
    case 'fixed':
    case 'check':
      return ['convert'];
    case 'compile':
      return ['convert', 'check'];
    case 'sensitivity':
      return ['calibration'];
  }
}

/** What the key of a stage needs to know about the page. */
export interface KeyInputs {
  files: Record<SourceFile, string>;
  settings: SettingsOverrides;
  /** The code check, if it ran on exactly these files. */
  analysis: { key: string; result: AnalysisResult } | null;
  /** Run id of each stage's current result. */
  runIds: Partial<Record<StageName, string>>;
}

/** cyrb53: a fast 53-bit string hash (not cryptographic; keys only need to differ when inputs do). */
export function hashString(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

const filesKeys = new WeakMap<object, string>();

/** The key of both files (memoized per files object: the store replaces it on every edit). */
export function filesKey(files: Record<SourceFile, string>): string {
  let key = filesKeys.get(files);
  if (!key) {
    key = hashString(`${files['model.ts']}\u0000${files['qconfig.ts']}`);
    filesKeys.set(files, key);
  }
  return key;
}

/**
 * The float stage reads model.ts and only the `float` part of qconfig.ts. When the code check has run
 * on these files, that part is known and an edit elsewhere in qconfig.ts leaves float current; until
 * then any qconfig.ts edit counts.
 */
function floatCodeKey(inputs: KeyInputs): string {
  const analysis = inputs.analysis;
  const model = hashString(inputs.files['model.ts']);
  if (analysis && analysis.key === filesKey(inputs.files) && analysis.result.ok) {
    return `${model}:${hashString(JSON.stringify(analysis.result.qconfigSettings.float))}`;
  }
  return `${model}:q${hashString(inputs.files['qconfig.ts'])}`;
}

/** The input key of a stage, from the page's current state. */
export function stageKey(stage: StageName, inputs: KeyInputs): string {
  const { settings } = inputs;
  const parts: unknown[] = [stage];
  switch (stage) {
    case 'float':
      parts.push(floatCodeKey(inputs), settings.data, settings.float);
      break;
    case 'calibration':
      parts.push(filesKey(inputs.files), settings.data, settings.calibration);
      break;
    case 'qat':
      parts.push(filesKey(inputs.files), settings.data, settings.qat);
      break;
    case 'validation':
      parts.push(filesKey(inputs.files), settings.data);
      break;
    case 'sensitivity':
      parts.push(filesKey(inputs.files), settings.data, settings.sensitivity);
      break;
    case 'convert':
      parts.push(settings.convert);
      break;
    case 'fixed':
      parts.push(settings.data.testSubset ?? 0);
      break;
    case 'check':
      parts.push(settings.check);
      break;
    case 'compile':
      parts.push(settings.check, settings.compile);
      break;
  }
  for (const up of upstreamOf(stage, settings)) parts.push(`${up}=${inputs.runIds[up] ?? '-'}`);
  return hashString(JSON.stringify(parts));
}
