/**
 * A plain-data view of a traced graph for the page (graph view, tables): one entry per node with its
 * inputs, op type, where it was written and, after prepare, its output dtype. Safe to postMessage.
 */
import type { Opcode, SourceLoc } from './node';
import type { GraphModule } from './graph_module';
import type { CheckResult } from '../quant/check_table';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import { formatTarget } from './print';

export interface GraphSummaryNode {
  name: string;
  op: Opcode;
  /** Module path (with `.method` for FloatFunctional ops), function or method name. */
  target: string;
  /** Module class (Conv2d, ConvBnReLU2d, FloatFunctional), function or Tensor method. */
  type: string;
  /** Names of the nodes it reads. */
  inputs: string[];
  /** Output dtype decided by prepare (qint8, qint16, qint32, float32), when a check result is given. */
  dtype?: string;
  /** The modules a fused module replaced. */
  fused_from?: string[];
  loc?: SourceLoc;
}

export function graphSummary(gm: GraphModule, check?: CheckResult): GraphSummaryNode[] {
  const dtypes = new Map(check?.rows.map((r) => [r.name, r.output_dtype]) ?? []);
  return gm.graph.nodes.map((node) => {
    let type: string = node.op;
    let fused: string[] | undefined;
    if (node.op === 'call_module') {
      const m = gm.get_submodule(node.target);
      type = node.method === 'forward' ? m._typeName : `${m._typeName}.${node.method}`;
      if (m instanceof FusedConv2d || m instanceof FusedLinear) fused = [...m.fused_names];
    } else if (node.op === 'call_function') {
      type = node.target;
    } else if (node.op === 'call_method') {
      type = `Tensor.${node.target}`;
    }
    const out: GraphSummaryNode = { name: node.name, op: node.op, target: formatTarget(node), type, inputs: node.inputNodes.map((n) => n.name) };
    const dtype = dtypes.get(node.name);
    if (dtype) out.dtype = dtype;
    if (fused) out.fused_from = fused;
    if (node.meta.loc) out.loc = { ...node.meta.loc };
    return out;
  });
}
