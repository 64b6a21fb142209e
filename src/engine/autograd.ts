/**
 * The autograd tape. An op whose inputs require grad records a node on its output (`record`); `backward`
 * walks the nodes from the loss in reverse topological order and applies each op's rule from the one
 * table in backward.ts. Gradients of leaves (parameters) accumulate into `leaf.grad`, which lives until
 * `zero_grad` or disposal; every other tensor made by backward belongs to the enclosing `tidy` scope,
 * and each intermediate gradient is disposed as soon as its node has used it.
 */
import { Tensor, keep } from './tensor';
import { backwardRules, fusedBackwardRules, type SavedByOp } from './backward';
import { addInto, addTensors, copyTensor, fillTensor } from './kernels/elementwise';

export type OpName = keyof SavedByOp;

/** One recorded op: its name, the inputs it may send gradients to, and what its rule needs. */
export class GradNode<K extends OpName = OpName> {
  constructor(
    readonly op: K,
    /** Positional inputs; null where the op took no tensor (a missing bias) or a non-differentiable one. */
    readonly inputs: readonly (Tensor | null)[],
    public saved: SavedByOp[K] | null,
  ) {}
}

let gradEnabled = true;

export function is_grad_enabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording anything on the tape (evaluation, optimizer updates, metrics). */
export function no_grad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Whether an op over these inputs must be recorded. */
export function needsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/**
 * Records `op` as the producer of `output` when any input requires grad. `inputs` are the tensors the
 * rule returns gradients for, in the same order. Returns `output`.
 */
export function record<K extends OpName>(op: K, inputs: readonly (Tensor | null)[], output: Tensor, saved: SavedByOp[K]): Tensor {
  if (!needsGrad(inputs)) return output;
  output.requiresGrad = true;
  output.gradNode = new GradNode(op, inputs, saved);
  return output;
}

function nodeOf(t: Tensor): GradNode | null {
  return t.gradNode instanceof GradNode ? t.gradNode : null;
}

/** Tensors reachable from `root` through grad nodes, each after every tensor that depends on it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative post-order DFS: deep networks must not overflow the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, next] = top;
    const inputs = nodeOf(t)?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child && child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/**
 * Computes gradients of `loss` (a one-element tensor, or any tensor with `gradient` given) with respect
 * to every leaf that requires grad, adding them into `leaf.grad`. The graph is freed afterwards.
 */
export function backward(loss: Tensor, gradient?: Tensor): void {
  loss.assertLive('backward');
  if (!loss.requiresGrad) throw new Error('backward: the tensor does not require grad (no parameter reaches it, or it was made under no_grad)');
  if (!gradient && loss.numel !== 1) {
    throw new Error(`backward: a gradient is needed for a tensor of shape [${loss.shape.join(', ')}] (only one-element losses get 1 implicitly)`);
  }
  if (gradient && gradient.numel !== loss.numel) {
    throw new Error(`backward: gradient [${gradient.shape.join(', ')}] does not match [${loss.shape.join(', ')}]`);
  }
  const order = topologicalOrder(loss);
  // How many ops of this graph read each tensor (a fused rule may skip a producer read only once).
  const consumers = new Map<Tensor, number>();
  for (const t of order) for (const x of nodeOf(t)?.inputs ?? []) if (x?.requiresGrad) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  const grads = new Map<Tensor, Tensor>();
  // Every gradient tensor that has been an op's incoming gradient or been routed to an input: such a
  // tensor may be referenced twice (add hands gy to both sides), so a leaf never takes it as its .grad.
  const seen = new Set<Tensor>();
  const owned = new Set<Tensor>();
  if (gradient) owned.add(gradient);
  grads.set(loss, gradient ?? fillTensor(loss.shape, 1));

  const stillUsed = (t: Tensor) => {
    if (owned.has(t)) return true;
    for (const g of grads.values()) if (g === t) return true;
    return false;
  };
  const release = (t: Tensor) => {
    if (!stillUsed(t)) t.dispose();
  };

  const route = (target: Tensor, g: Tensor) => {
    if (nodeOf(target) === null) {
      // A leaf: a parameter, or a user tensor with requiresGrad.
      if (target.grad) {
        addInto(target.grad, g);
        seen.add(g);
        release(g);
      } else {
        const fresh = !g.isView && !seen.has(g) && !stillUsed(g);
        const grad = fresh ? g : copyTensor(g);
        seen.add(g);
        owned.add(grad);
        target.grad = keep(grad);
        if (!fresh) release(g);
      }
      return;
    }
    const existing = grads.get(target);
    seen.add(g);
    if (!existing) {
      grads.set(target, g);
      return;
    }
    const sum = addTensors(existing, g);
    grads.set(target, sum);
    release(existing);
    release(g);
  };

  for (const t of order) {
    const node = nodeOf(t);
    const gy = grads.get(t);
    grads.delete(t);
    if (!gy) continue;
    seen.add(gy);
    if (!node) {
      release(gy);
      continue;
    }
    if (node.saved === null) {
      throw new Error(`backward of ${node.op}: trying to backward through the graph a second time (its saved tensors were freed by the first backward)`);
    }
    const input = node.inputs.length === 1 ? node.inputs[0]! : null;
    const producer = input && input !== loss && consumers.get(input) === 1 ? nodeOf(input) : null;
    const fused = producer && producer.saved !== null ? fusedBackwardRules[node.op]?.[producer.op] : undefined;
    // A fused rule sends gradients straight to the producer's inputs; the producer is then done.
    const target = fused ? producer! : node;
    const needs = target.inputs.map((x) => !!x && x.requiresGrad);
    const inputGrads = fused
      ? (fused as (s: unknown, p: unknown, gy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[])(node.saved, producer!.saved, gy, needs)
      : (backwardRules[node.op] as (saved: unknown, gy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[])(node.saved, gy, needs);
    if (fused) {
      producer!.saved = null;
      input!.gradNode = new GradNode(producer!.op, [], null);
    }
    target.inputs.forEach((x, i) => {
      const g = inputGrads[i];
      if (!x || !needs[i] || !g) return;
      if (g.shape.length !== x.shape.length || g.shape.some((d, k) => d !== x.shape[k])) {
        throw new Error(`backward of ${target.op}: gradient for input ${i} has shape [${g.shape.join(', ')}], the input [${x.shape.join(', ')}]`);
      }
      route(x, g);
    });
    release(gy);
    // The graph is used once: drop what the node holds so saved tensors are not kept past their scope,
    // and leave a marker so a second backward through it fails with a message.
    node.saved = null;
    t.gradNode = new GradNode(node.op, [], null);
  }
}

/** Clears the gradients of these parameters (PyTorch's set_to_none=True: the next backward writes fresh ones). */
export function zero_grad(params: Iterable<Tensor>): void {
  for (const p of params) {
    if (p.grad) {
      p.grad.dispose();
      p.grad = null;
    }
  }
}
