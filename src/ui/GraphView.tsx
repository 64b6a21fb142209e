import { useMemo, useState } from 'react';
import { NODE_HEIGHT, NODE_WIDTH, layoutGraph, type LaidOutEdge } from './graphLayout';
import { useApp } from './StoreContext';

function edgePath(e: LaidOutEdge): string {
  if (e.bend === 0) return `M ${e.x1} ${e.y1} L ${e.x2} ${e.y2}`;
  const side = Math.max(e.x1, e.x2) + e.bend;
  return `M ${e.x1} ${e.y1} C ${side} ${e.y1 + 30}, ${side} ${e.y2 - 30}, ${e.x2} ${e.y2}`;
}

function labelAt(e: LaidOutEdge): { x: number; y: number } {
  if (e.bend === 0) return { x: (e.x1 + e.x2) / 2 + 6, y: (e.y1 + e.y2) / 2 + 4 };
  return { x: Math.max(e.x1, e.x2) + e.bend * 0.75 + 4, y: (e.y1 + e.y2) / 2 };
}

/** The traced model (before fusion) or the fused, prepared one, with each edge's dtype. */
export function GraphView() {
  const [which, setWhich] = useState<'fused' | 'traced'>('fused');
  const analysis = useApp((s) => s.analysis.lastGood?.result ?? null);
  const current = useApp((s) => s.analysis.lastGood !== null && s.analysis.status !== 'failed' && s.analysis.key === s.analysis.lastGood.key);
  const nodes = analysis ? analysis[which] : null;
  const layout = useMemo(() => (nodes ? layoutGraph(nodes) : null), [nodes]);
  if (!layout || !nodes) return <p className="muted empty">Check the code to see the traced graph.</p>;
  return (
    <div className="graph" data-testid="graph">
      <div className="segmented" role="group" aria-label="Graph">
        <button type="button" aria-pressed={which === 'fused'} data-testid="graph.fused" onClick={() => setWhich('fused')}>
          Fused + prepared (dtypes)
        </button>
        <button type="button" aria-pressed={which === 'traced'} data-testid="graph.traced" onClick={() => setWhich('traced')}>
          Traced
        </button>
        {!current && <span className="muted small">from the last code that checked fine</span>}
      </div>
      <div className="graph-scroll">
        <svg width={layout.width} height={layout.height} className="graph-svg" role="img" aria-label={`${which} graph with ${nodes.length} nodes`}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#8b93a5" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <g key={`${e.from}->${e.to}`} data-testid="graph.edge" data-dtype={e.dtype}>
              <path d={edgePath(e)} className="graph-edge" markerEnd="url(#arrow)" fill="none" />
              {e.dtype && (
                <text {...labelAt(e)} className={`graph-dtype dtype-${e.dtype}`}>
                  {e.dtype}
                </text>
              )}
            </g>
          ))}
          {layout.nodes.map(({ node, x, y }) => (
            <g key={node.name} transform={`translate(${x}, ${y})`} data-testid={`graph.node.${node.name}`} className={`graph-node graph-node-${node.op}`}>
              <title>
                {`${node.name}: ${node.type}${node.fused_from ? ` (fused ${node.fused_from.join(' + ')})` : ''}${node.loc ? ` — ${node.loc.file}:${node.loc.line}` : ''}`}
              </title>
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
              <text x={10} y={19} className="graph-node-name">
                {node.name}
              </text>
              <text x={10} y={36} className="graph-node-type">
                {node.type.length > 28 ? `${node.type.slice(0, 27)}…` : node.type}
              </text>
            </g>
          ))}
        </svg>
      </div>
    </div>
  );
}
