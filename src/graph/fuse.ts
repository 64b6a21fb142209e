/**
 * Operator fusion on a traced graph (Horizon's fuse_fx): conv/linear (+ bn) (+ add, the conv output as
 * either operand) (+ relu/relu6) become one fused module. The fused module takes the add's name when the
 * pattern has an add (`_generated_add_0`), the conv's name otherwise; the other modules of the pattern
 * become Identity and their calls leave the graph. A value used twice, or a module called twice, ends
 * the pattern there (fusing it would change the other use).
 */
import { Module } from '../nn/module';
import { Conv2d } from '../nn/conv';
import { Linear, Identity } from '../nn/linear';
import { BatchNorm2d } from '../nn/norm';
import { ReLU, ReLU6 } from '../nn/activation';
import { FloatFunctional } from '../nn/quant_stubs';
import { FusedConv2d, FusedLinear, fusedConvClass, fusedLinearClass, type FusedActivation } from '../nn/fused';
import { Node } from './node';
import { GraphModule } from './graph_module';
import { symbolic_trace } from './tracer';

export interface FusionRecord {
  /** Where the fused module lives. */
  name: string;
  type: string;
  /** The modules (or functional ops) it replaced, in order. */
  members: string[];
}

const RELU_FUNCTIONS = new Set(['F.relu', 'torch.relu']);

function moduleOf(gm: GraphModule, node: Node): Module | null {
  return node.op === 'call_module' ? gm.get_submodule(node.target) : null;
}

function reluKind(gm: GraphModule, node: Node): { kind: 'relu' | 'relu6'; module: FusedActivation | null } | null {
  if (node.op === 'call_module' && node.method === 'forward') {
    const m = moduleOf(gm, node);
    if (m instanceof ReLU6) return { kind: 'relu6', module: m };
    if (m instanceof ReLU) return { kind: 'relu', module: m };
    return null;
  }
  if (node.op === 'call_function' && RELU_FUNCTIONS.has(node.target)) return { kind: 'relu', module: null };
  if (node.op === 'call_function' && node.target === 'F.relu6') return { kind: 'relu6', module: null };
  if (node.op === 'call_method' && node.target === 'relu') return { kind: 'relu', module: null };
  return null;
}

/** Runs the fusion pass on a GraphModule in place; returns what was fused. */
export function fuseGraph(gm: GraphModule): FusionRecord[] {
  const records: FusionRecord[] = [];
  const callCount = new Map<string, number>();
  for (const n of gm.graph.nodes) if (n.op === 'call_module') callCount.set(n.target, (callCount.get(n.target) ?? 0) + 1);
  const calledOnce = (n: Node) => n.op !== 'call_module' || callCount.get(n.target) === 1;
  const singleUser = (n: Node): Node | null => {
    const users = n.users;
    return users.length === 1 ? users[0]! : null;
  };

  for (const root of [...gm.graph.nodes]) {
    if (!gm.graph.nodes.includes(root) || root.op !== 'call_module' || root.method !== 'forward' || !calledOnce(root)) continue;
    const rootModule = moduleOf(gm, root);
    const isConv = rootModule instanceof Conv2d && rootModule.constructor === Conv2d;
    const isLinear = rootModule instanceof Linear && rootModule.constructor === Linear;
    if (!isConv && !isLinear) continue;

    const members: Node[] = [root];
    let last = root;
    let bn: BatchNorm2d | null = null;
    let addNode: Node | null = null;
    let other: Node | null = null;
    let relu: { kind: 'relu' | 'relu6'; module: FusedActivation | null } | null = null;

    let next = singleUser(last);
    if (isConv && next && next.op === 'call_module' && next.method === 'forward' && calledOnce(next) && next.args[0] === last) {
      const m = moduleOf(gm, next);
      if (m instanceof BatchNorm2d && m.constructor === BatchNorm2d) {
        bn = m;
        members.push(next);
        last = next;
        next = singleUser(last);
      }
    }
    if (next && next.op === 'call_module' && next.method === 'add' && calledOnce(next) && next.args.length === 2) {
      const m = moduleOf(gm, next);
      const [a, b] = next.args;
      if (m instanceof FloatFunctional && (a === last) !== (b === last) && (a instanceof Node || b instanceof Node)) {
        const candidate = (a === last ? b : a) as Node;
        if (candidate instanceof Node) {
          addNode = next;
          other = candidate;
          members.push(next);
          last = next;
          next = singleUser(last);
        }
      }
    }
    if (next && calledOnce(next) && next.args[0] === last) {
      const r = reluKind(gm, next);
      if (r) {
        relu = r;
        members.push(next);
        last = next;
      }
    }
    if (members.length === 1) continue;

    const reluModule: FusedActivation | null = relu ? relu.module ?? (relu.kind === 'relu6' ? new ReLU6() : new ReLU()) : null;
    let fused: FusedConv2d | FusedLinear;
    if (isConv) {
      const cls = fusedConvClass(bn !== null, addNode !== null, relu?.kind ?? null)!;
      fused = new cls(rootModule as Conv2d, bn, reluModule);
    } else {
      const cls = fusedLinearClass(addNode !== null, relu?.kind ?? null)!;
      fused = new cls(rootModule as Linear, reluModule);
    }
    fused.training = rootModule.training;
    fused.qconfig = rootModule.qconfig;
    fused.fused_names = members.map((n) => (n.op === 'call_module' ? n.target : n.target));

    const home = addNode ? addNode.target : root.target;
    for (const n of members) {
      if (n.op === 'call_module' && n.target !== home) gm.replace_submodule(n.target, identityLike(moduleOf(gm, n)!));
    }
    gm.replace_submodule(home, fused);

    const input = root.args[0]!;
    const fusedNode = gm.graph.insertBefore(last, 'call_module', home, other ? [input, other] : [input], {}, { name: `${home}_fused` });
    fusedNode.meta.loc = (addNode ?? root).meta.loc;
    last.replaceAllUsesWith(fusedNode);
    for (const n of [...members].reverse()) gm.graph.erase(n);
    gm.graph.rename(fusedNode, home.replace(/\./g, '_'));
    records.push({ name: home, type: fused._typeName, members: fused.fused_names });
  }
  gm.graph.lint();
  return records;
}

function identityLike(m: Module): Identity {
  const id = new Identity();
  id.training = m.training;
  return id;
}

/**
 * fuse_fx(model): traces (unless given a GraphModule) and fuses. The model itself keeps its structure;
 * the result shares its layers (and so their parameters), as Horizon's does.
 */
export function fuse_fx(model: Module): GraphModule {
  const gm = model instanceof GraphModule ? model : symbolic_trace(model);
  const records = fuseGraph(gm);
  gm.fusions = [...(gm.fusions ?? []), ...records];
  return gm;
}
