import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../dsl/examples';
import { analyzeSources } from '../worker/analyze';
import { NODE_HEIGHT, layoutGraph } from './graphLayout';

describe('layoutGraph', () => {
  it('puts the reference CNN in a chain, one node per layer, with dtypes on the edges', () => {
    const r = analyzeSources(EXAMPLES[0]!.files);
    if (!r.ok) throw new Error('analysis failed');
    const layout = layoutGraph(r.fused);
    expect(layout.nodes.map((n) => n.layer)).toEqual(r.fused.map((_, i) => i));
    const edge = layout.edges.find((e) => e.from === 'conv1' && e.to === 'pool1')!;
    expect(edge.dtype).toBe('qint8');
    expect(layout.edges.find((e) => e.from === 'classifier')!.dtype).toBe('qint32');
    expect(edge.y2 - edge.y1).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(r.fused.length * NODE_HEIGHT);
  });

  it('bends the skip connection of a residual block around the nodes it passes, which never overlap', () => {
    const r = analyzeSources(EXAMPLES.find((e) => e.id === 'residual')!.files);
    if (!r.ok) throw new Error('analysis failed');
    const layout = layoutGraph(r.traced);
    const skips = layout.edges.filter((e) => e.bend > 0);
    expect(skips.length).toBeGreaterThan(0);
    const layer = new Map(layout.nodes.map((n) => [n.node.name, n.layer]));
    for (const e of skips) expect(layer.get(e.to)! - layer.get(e.from)!).toBeGreaterThan(1);
    for (const e of layout.edges.filter((e) => e.bend === 0)) expect(layer.get(e.to)! - layer.get(e.from)!).toBe(1);
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a !== b && a.layer === b.layer) expect(Math.abs(a.x - b.x)).toBeGreaterThan(100);
        if (a !== b) expect(a.layer !== b.layer || a.x !== b.x).toBe(true);
      }
    }
    // Every edge goes down the page.
    for (const e of layout.edges) expect(e.y2).toBeGreaterThan(e.y1);
  });
});
