/**
 * The sensitivity panel's "use in qconfig.ts": writes the sensitivity table into qconfig.ts as
 * `const sensitivity_table = [...]` and puts the sensitive-op setters in front of each stage's
 * `qconfig_setter` list, as Horizon's docs do with the debug tool's table:
 *
 *   calibration: sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk })
 *   qat:         sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter(sensitivity_table, { topk })
 *
 * A second use replaces the table and the setters it wrote; topk 0 takes them out again. The edit is
 * textual (the rest of the file, comments included, stays as the person wrote it); comments and
 * strings are masked first so that an example in a comment is never mistaken for code.
 */

export type SensitivityTableRow = readonly [string, string, number];

const MODULE = 'horizon_plugin_pytorch/quantization';
const TABLE_NAME = 'sensitivity_table';
const TABLE_NOTE = `// ${TABLE_NAME}:`;

const STAGE_SETTERS = {
  calibration: { sensitive: 'sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter', fallback: 'default_calibration_qconfig_setter' },
  qat: { sensitive: 'sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter', fallback: 'default_qat_qconfig_setter' },
} as const;

/** The text with the insides of comments, strings and template literals blanked (same length, newlines kept). */
export function maskCode(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      blank(i + 1, Math.min(j, text.length));
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** Index just past the bracket that closes the one at `open` (in masked text). */
function closing(masked: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < masked.length; i++) {
    const c = masked[i]!;
    if (pairs[c]) stack.push(pairs[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) throw new Error(`qconfig.ts: unbalanced '${c}' at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`qconfig.ts: the bracket at offset ${open} is never closed`);
}

interface Splice {
  from: number;
  to: number;
  text: string;
}

function applySplices(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.from - a.from)) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return out;
}

function tableDeclaration(table: readonly SensitivityTableRow[], file: string): string {
  const rows = table.map(([node, type, value]) => `  [${JSON.stringify(node)}, ${JSON.stringify(type)}, ${Number.isFinite(value) ? Number(value.toPrecision(6)) : value > 0 ? 'Infinity' : '-Infinity'}],`);
  return `${TABLE_NOTE} ${file} from the Sensitivity tab, most sensitive first.\nconst ${TABLE_NAME}: [string, string, number][] = [\n${rows.join('\n')}\n];\n`;
}

/** Where the table declaration (and the note line above it) is, if qconfig.ts has one. */
function findTable(text: string, masked: string): { from: number; to: number } | null {
  const m = new RegExp(`\\bconst\\s+${TABLE_NAME}\\b[^=]*=\\s*\\[`).exec(masked);
  if (!m) return null;
  let to = closing(masked, m.index + m[0].length - 1);
  const rest = /^\s*;?[ \t]*\n?/.exec(masked.slice(to))!;
  to += rest[0].length;
  let from = m.index;
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  const previousStart = text.lastIndexOf('\n', lineStart - 2) + 1;
  if (lineStart > 0 && text.slice(previousStart, lineStart).startsWith(TABLE_NOTE)) from = previousStart;
  else from = lineStart;
  return { from, to };
}

/** The `{` of `stage: {` at the top level of defineConfig({...}) (or of the default export's object). */
function findStageObject(masked: string, configOpen: number, configClose: number, stage: string): number | null {
  let depth = 0;
  const re = new RegExp(`\\b${stage}\\s*:\\s*\\{`, 'y');
  for (let i = configOpen + 1; i < configClose; i++) {
    const c = masked[i]!;
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0) {
      re.lastIndex = i;
      const m = re.exec(masked);
      if (m && (i === 0 || !/[\w$]/.test(masked[i - 1]!))) return i + m[0].length - 1;
    }
  }
  return null;
}

/**
 * qconfig.ts with int16 activations for the `topk` most sensitive ops of `table` (its rows most
 * sensitive first) in calibration and QAT; `file` names where the table came from (a comment).
 */
export function applySensitiveOpsToQconfig(source: string, table: readonly SensitivityTableRow[], topk: number, file: string): string {
  if (!Number.isInteger(topk) || topk < 0 || topk > table.length) throw new Error(`topk must be an integer from 0 to ${table.length} (got ${topk})`);
  const masked = maskCode(source);
  const splices: Splice[] = [];

  const existing = findTable(source, masked);
  if (topk > 0) {
    const declaration = tableDeclaration(table, file);
    if (existing) splices.push({ ...existing, text: declaration });
    else {
      const exportDefault = /\bexport\s+default\b/.exec(masked);
      if (!exportDefault) throw new Error('qconfig.ts has no `export default defineConfig({...})` to put the sensitive-op setters in');
      // Above the doc comment of the export, if it has one (a comment is blank in the masked text).
      const comment = source.lastIndexOf('/*', exportDefault.index);
      const at = comment >= 0 && masked.slice(comment, exportDefault.index).trim() === '' ? comment : exportDefault.index;
      splices.push({ from: at, to: at, text: `${declaration}\n` });
    }
  } else if (existing) {
    const after = /^\n*/.exec(source.slice(existing.to))![0].length;
    splices.push({ from: existing.from, to: existing.to + after, text: '' });
  }

  const config = /\bdefineConfig\s*\(\s*\{/.exec(masked) ?? /\bexport\s+default\s*\{/.exec(masked);
  if (!config) throw new Error('qconfig.ts has no `export default defineConfig({...})` to put the sensitive-op setters in');
  const configOpen = config.index + config[0].length - 1;
  const configClose = closing(masked, configOpen) - 1;
  const used = new Set<string>();
  for (const [stage, names] of Object.entries(STAGE_SETTERS)) {
    const call = `${names.sensitive}(${TABLE_NAME}, { topk: ${topk} })`;
    const open = findStageObject(masked, configOpen, configClose, stage);
    if (open === null) {
      if (topk === 0) continue;
      used.add(names.sensitive).add(names.fallback);
      splices.push({ from: configOpen + 1, to: configOpen + 1, text: `\n  ${stage}: { qconfig_setter: [${call}, ${names.fallback}] },` });
      continue;
    }
    const close = closing(masked, open) - 1;
    const list = /\bqconfig_setter\s*:\s*\[/.exec(masked.slice(open, close));
    if (!list) {
      if (topk === 0) continue;
      // set_qconfig would run first and decide every op; the setters then have nothing left to do.
      if (/\bset_qconfig\b/.test(masked.slice(open, close))) {
        throw new Error(`qconfig.ts: ${stage} uses set_qconfig; put ${names.sensitive}(${TABLE_NAME}, { topk: ${topk} }) in a qconfig_setter list instead`);
      }
      used.add(names.sensitive).add(names.fallback);
      splices.push({ from: open + 1, to: open + 1, text: `\n    qconfig_setter: [${call}, ${names.fallback}],` });
      continue;
    }
    const listOpen = open + list.index + list[0].length - 1;
    const listClose = closing(masked, listOpen) - 1;
    // A sensitive-op setter already in the list (from an earlier use, or written by hand) is replaced.
    const old = /\bsensitive_op_\w+_qconfig_setter\s*\(/g;
    old.lastIndex = listOpen;
    let replaced = false;
    for (let m = old.exec(masked); m && m.index < listClose; m = old.exec(masked)) {
      const end = closing(masked, m.index + m[0].length - 1);
      const comma = /^\s*,\s*/.exec(masked.slice(end, listClose));
      const to = end + (comma ? comma[0].length : 0);
      if (!replaced && topk > 0) splices.push({ from: m.index, to, text: `${call}${comma ? ', ' : ''}` });
      else splices.push({ from: m.index, to, text: '' });
      replaced = true;
      old.lastIndex = to;
    }
    if (topk > 0) {
      used.add(names.sensitive);
      if (!replaced) {
        const empty = masked.slice(listOpen + 1, listClose).trim() === '';
        splices.push({ from: listOpen + 1, to: listOpen + 1, text: empty ? `${call}, ${names.fallback}` : `${call}, ` });
        if (empty) used.add(names.fallback);
      }
    }
  }

  let out = applySplices(source, splices);
  if (used.size) out = withImports(out, [...used]);
  return out;
}

/** qconfig.ts importing `names` from horizon_plugin_pytorch/quantization (added to its import, or a new one). */
function withImports(source: string, names: string[]): string {
  const masked = maskCode(source);
  const re = /\bimport\s*\{([^}]*)\}\s*from\s*(["'])[^"'\n]*\2/g;
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    // The module name is blanked in the masked text: read it from the source.
    const spec = source.slice(m.index, m.index + m[0].length);
    if (!spec.includes(MODULE)) continue;
    const braceOpen = m.index + m[0].indexOf('{');
    const braceClose = m.index + m[0].indexOf('}');
    const inside = source.slice(braceOpen + 1, braceClose);
    const have = new Set(inside.split(',').map((s) => s.trim().split(/\s+as\s+/)[0]!).filter(Boolean));
    const missing = names.filter((n) => !have.has(n));
    if (!missing.length) return source;
    const multiline = inside.includes('\n');
    const trimmed = inside.replace(/[\s,]*$/, '');
    const added = multiline ? `${trimmed},\n${missing.map((n) => `  ${n},`).join('\n')}\n` : `${trimmed.trimEnd()}, ${missing.join(', ')} `;
    return source.slice(0, braceOpen + 1) + added + source.slice(braceClose);
  }
  return `import { ${names.join(', ')} } from "${MODULE}";\n${source}`;
}
