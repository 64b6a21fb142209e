/**
 * A layered layout of a traced graph for the graph view: each node's layer is its longest distance
 * from an input, nodes of a layer sit side by side (ordered by the mean position of their inputs, one
 * barycentre pass), and every edge carries the dtype of the value it moves.
 */
import type { GraphSummaryNode } from '../dsl/index';

export interface LaidOutNode {
  node: GraphSummaryNode;
  layer: number;
  x: number;
  y: number;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  /** Output dtype of the source node ('' when unknown, e.g. before prepare). */
  dtype: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Sideways bulge of an edge that skips layers (a residual connection), so it passes beside the nodes between. */
  bend: number;
}

export interface GraphLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 46;
const LAYER_GAP = 46;
const COLUMN_GAP = 28;
const MARGIN = 16;

export function layoutGraph(nodes: readonly GraphSummaryNode[]): GraphLayout {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const layerOf = new Map<string, number>();
  // Nodes come in topological order (a traced graph is built in execution order).
  for (const node of nodes) {
    const inputs = node.inputs.filter((i) => byName.has(i));
    layerOf.set(node.name, inputs.length ? 1 + Math.max(...inputs.map((i) => layerOf.get(i) ?? 0)) : 0);
  }
  const layers: GraphSummaryNode[][] = [];
  for (const node of nodes) (layers[layerOf.get(node.name)!] ??= []).push(node);

  const column = new Map<string, number>();
  for (const layer of layers) {
    if (!layer) continue;
    const mean = (n: GraphSummaryNode) => {
      const known = n.inputs.filter((i) => column.has(i)).map((i) => column.get(i)!);
      return known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
    };
    const ordered = [...layer].sort((a, b) => mean(a) - mean(b));
    ordered.forEach((n, i) => column.set(n.name, i));
    layer.splice(0, layer.length, ...ordered);
  }

  const widest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  // Room on the right for the bends of skip edges.
  const width = MARGIN * 2 + widest * NODE_WIDTH + (widest - 1) * COLUMN_GAP + 2 * (NODE_WIDTH / 2 + 40) - NODE_WIDTH;
  const laidOut: LaidOutNode[] = [];
  const position = new Map<string, LaidOutNode>();
  layers.forEach((layer, index) => {
    if (!layer) return;
    const span = layer.length * NODE_WIDTH + (layer.length - 1) * COLUMN_GAP;
    const left = (width - span) / 2;
    layer.forEach((node, i) => {
      const placed = { node, layer: index, x: left + i * (NODE_WIDTH + COLUMN_GAP), y: MARGIN + index * (NODE_HEIGHT + LAYER_GAP) };
      laidOut.push(placed);
      position.set(node.name, placed);
    });
  });

  const edges: LaidOutEdge[] = [];
  for (const node of nodes) {
    const to = position.get(node.name)!;
    for (const input of node.inputs) {
      const from = position.get(input);
      if (!from) continue;
      edges.push({
        from: input,
        to: node.name,
        dtype: byName.get(input)?.dtype ?? '',
        x1: from.x + NODE_WIDTH / 2,
        y1: from.y + NODE_HEIGHT,
        x2: to.x + NODE_WIDTH / 2,
        y2: to.y,
        bend: to.layer - from.layer > 1 ? NODE_WIDTH / 2 + 36 : 0,
      });
    }
  }
  const height = MARGIN * 2 + layers.length * NODE_HEIGHT + Math.max(0, layers.length - 1) * LAYER_GAP;
  return { nodes: laidOut, edges, width, height };
}
