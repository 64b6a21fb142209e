/**
 * The check table of a prepared model, like the Horizon toolchain's model_check_result.txt: for each node,
 * its op type, input/weight/output dtypes, observers and where its qconfig came from; then the ops the
 * quantized model cannot run, each with the reason, and other problems (a quantized op fed float, an int32
 * output feeding another op).
 */
import type { Node, SourceLoc } from '../graph/node';
import type { GraphModule } from '../graph/graph_module';
import { formatTable, formatTarget } from '../graph/print';
import { describeFakeQuantize, formatInfo, type QConfig } from './qconfig';
import type { OpInfo } from './op_kinds';
import type { QuantOp } from './setters';

export interface Decision {
  qconfig: QConfig | null;
  /** The setter that decided it, 'eager (module.qconfig)' or 'none (float)'. */
  source: string;
}

/** A dtype as the table shows it; 'shape' for values that are not tensors. */
export type TableDType = 'float32' | 'qint8' | 'quint8' | 'qint16' | 'qint32' | 'shape';

export interface CheckRow {
  name: string;
  opcode: string;
  /** Module path, function or method name. */
  target: string;
  type: string;
  kind: OpInfo['kind'];
  input_dtypes: TableDType[];
  weight_dtype: TableDType | null;
  output_dtype: TableDType;
  /** Output fake quantizer (observer, dtype, fixed scale), or '' when there is none. */
  observer: string;
  weight_observer: string;
  qconfig_source: string;
  loc?: SourceLoc;
}

export interface CheckIssue {
  name: string;
  type: string;
  reason: string;
  loc?: SourceLoc;
}

export interface CheckResult {
  rows: CheckRow[];
  unsupported: CheckIssue[];
  warnings: CheckIssue[];
  /** The whole report as text (model_check_result.txt). */
  text: string;
}

export function buildCheckResult(
  gm: GraphModule,
  kinds: ReadonlyMap<Node, OpInfo>,
  ops: readonly QuantOp[],
  decisions: ReadonlyMap<QuantOp, Decision>,
): CheckResult {
  const decisionByTarget = new Map<string, Decision>();
  const decisionByNode = new Map<Node, Decision>();
  for (const op of ops) {
    const d = decisions.get(op)!;
    decisionByNode.set(op.node, d);
    if (op.node.op === 'call_module') decisionByTarget.set(op.node.target, d);
  }
  const callCount = new Map<string, number>();
  for (const n of gm.graph.nodes) if (n.op === 'call_module') callCount.set(n.target, (callCount.get(n.target) ?? 0) + 1);

  const dtypes = new Map<Node, TableDType>();
  const rows: CheckRow[] = [];
  const unsupported: CheckIssue[] = [];
  const warnings: CheckIssue[] = [];

  for (const node of gm.graph.nodes) {
    const info = kinds.get(node)!;
    const inputs = node.inputNodes.map((n) => dtypes.get(n) ?? 'float32');
    const tensorInputs = inputs.filter((d) => d !== 'shape');
    const decision = decisionByNode.get(node) ?? (node.op === 'call_module' ? decisionByTarget.get(node.target) : undefined);
    const qconfig = decision?.qconfig ?? null;
    let output: TableDType = 'float32';
    let weight: TableDType | null = null;
    let observer = '';
    let weightObserver = '';
    const issue = (reason: string): CheckIssue => ({ name: node.name, type: info.type, reason, ...(node.meta.loc ? { loc: node.meta.loc } : {}) });

    switch (info.kind) {
      case 'io':
        output = node.op === 'placeholder' ? 'float32' : (tensorInputs[0] ?? 'float32');
        break;
      case 'quant_stub':
      case 'weighted':
      case 'observed':
        if (qconfig) {
          output = qconfig.out_dtype;
          if (qconfig.output) observer = formatInfo(describeFakeQuantize(qconfig.output));
          else if (qconfig.high_precision_output) observer = 'none (int32 high-precision output)';
        }
        if (info.kind === 'weighted') {
          weight = qconfig?.weight ? describeFakeQuantize(qconfig.weight).dtype : 'float32';
          if (qconfig?.weight) weightObserver = formatInfo(describeFakeQuantize(qconfig.weight));
          if (qconfig && !qconfig.weight) warnings.push(issue('its qconfig has no weight fake quantizer: the weight stays float'));
        }
        if (qconfig && info.kind !== 'quant_stub' && tensorInputs.some((d) => d === 'float32') && !qconfig.input) {
          warnings.push(issue('a quantized op with a float input: put a QuantStub before it (or quantize what feeds it)'));
        }
        if (!qconfig && info.kind === 'quant_stub') warnings.push(issue('QuantStub without a qconfig: its output stays float'));
        break;
      case 'dequant_stub':
        output = 'float32';
        break;
      case 'passthrough':
        output = tensorInputs[0] ?? 'float32';
        break;
      case 'shape':
        output = 'shape';
        break;
      case 'unsupported':
        output = 'float32';
        unsupported.push(issue(info.reason ?? `${info.type} is not supported`));
        break;
    }
    if (inputs.includes('qint32') && !(info.kind === 'dequant_stub' || info.kind === 'io' || info.kind === 'passthrough')) {
      warnings.push(issue('an int32 (high-precision) output feeds this op: only a final conv/linear may have one (set high_precision_output: false or a qint8/qint16 out_dtype)'));
    }
    if (node.op === 'call_module' && (callCount.get(node.target) ?? 0) > 1 && info.kind !== 'passthrough' && info.kind !== 'dequant_stub') {
      if (node === gm.graph.nodes.find((n) => n.op === 'call_module' && n.target === node.target)) {
        warnings.push(issue(`module '${node.target}' is called ${callCount.get(node.target)} times: its calls share one observer and scale`));
      }
    }
    dtypes.set(node, output);
    rows.push({
      name: node.name,
      opcode: node.op,
      target: formatTarget(node),
      type: info.type,
      kind: info.kind,
      input_dtypes: inputs,
      weight_dtype: weight,
      output_dtype: output,
      observer,
      weight_observer: weightObserver,
      qconfig_source: decision?.source ?? '',
      ...(node.meta.loc ? { loc: node.meta.loc } : {}),
    });
  }
  return { rows, unsupported, warnings, text: formatCheckText(gm, rows, unsupported, warnings) };
}

function formatCheckText(gm: GraphModule, rows: CheckRow[], unsupported: CheckIssue[], warnings: CheckIssue[]): string {
  const where = (i: CheckIssue) => (i.loc ? ` (${i.loc.file}:${i.loc.line}:${i.loc.column})` : '');
  const table = formatTable(
    ['name', 'type', 'input dtype', 'weight dtype', 'output dtype', 'observer', 'qconfig from'],
    rows
      .filter((r) => r.opcode !== 'placeholder' && r.opcode !== 'output')
      .map((r) => [r.name, r.type, r.input_dtypes.join(', '), r.weight_dtype ?? '-', r.output_dtype, r.observer || '-', r.qconfig_source || '-']),
  );
  const parts = [`${gm.original_name}: model check result`, '', table, ''];
  if (gm.fusions.length) {
    parts.push('Fused modules:');
    for (const f of gm.fusions) parts.push(`  ${f.name}: ${f.type} <- ${f.members.join(', ')}`);
    parts.push('');
  }
  parts.push(unsupported.length ? 'Unsupported ops:' : 'Unsupported ops: none');
  for (const u of unsupported) parts.push(`  ${u.name} (${u.type})${where(u)}: ${u.reason}`);
  if (warnings.length) {
    parts.push('', 'Warnings:');
    for (const w of warnings) parts.push(`  ${w.name} (${w.type})${where(w)}: ${w.reason}`);
  }
  return parts.join('\n');
}
