/**
 * Measures the convolution kernels of the reference CNN (batch 64) over tile sizes, in this process's CPU
 * time (steady under a loaded machine) and wall time. Run: npx vite-node scripts/tune_conv.ts
 * Optional env: ONLY=fwd|dx|dw, LAYER=conv1|conv2.
 */
import { getTestDevice } from '../src/testing/gpu';
import { bestOfThree } from './lib/timing';
import { Tensor } from '../src/engine/tensor';
import { conv2dForward, conv2dGeometry, conv2dInputGrad, conv2dWeightGrad } from '../src/engine/kernels/conv2d';
import { setConvPath, setRowTileOverride, setTileOverride } from '../src/engine/kernels/tiles';

await getTestDevice();
const p = { stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number], groups: 1 };
const layers = [
  { name: 'conv1', x: [64, 1, 28, 28], w: [16, 1, 3, 3] },
  { name: 'conv2', x: [64, 16, 14, 14], w: [32, 16, 3, 3] },
].filter((l) => !process.env.LAYER || l.name === process.env.LAYER);

const measure = (f: () => Tensor) => bestOfThree(() => f().dispose(), 2);

for (const layer of layers) {
  const g = conv2dGeometry(layer.x, layer.w, p);
  const x = Tensor.fromArray(new Float32Array(layer.x.reduce((a, b) => a * b)).fill(0.5), layer.x);
  const w = Tensor.fromArray(new Float32Array(layer.w.reduce((a, b) => a * b)).fill(0.1), layer.w);
  const gy = Tensor.fromArray(new Float32Array(64 * g.Cout * g.OH * g.OW).fill(0.2), [64, g.Cout, g.OH, g.OW]);
  const flops = 2 * g.N * g.OH * g.OW * g.Cout * g.Cin * 9;
  const report = (what: string, tile: string, m: { cpu: number; wall: number }) =>
    console.log(`${layer.name} ${what} ${tile.padEnd(14)} cpu ${m.cpu.toFixed(1).padStart(7)} ms  wall ${m.wall.toFixed(1).padStart(7)} ms  ${(flops / m.cpu / 1e6).toFixed(2)} GFLOP per cpu-s`);
  if (!process.env.ONLY || process.env.ONLY === 'fwd' || process.env.ONLY === 'dx') {
    const tiles = [
      { TR: 1, TM: 14, TN: 8 },
      { TR: 1, TM: 14, TN: 16 },
      { TR: 2, TM: 14, TN: 8 },
      { TR: 2, TM: 7, TN: 16 },
      { TR: 4, TM: 7, TN: 8 },
      { TR: 2, TM: 14, TN: 4 },
      { TR: 4, TM: 14, TN: 4 },
    ];
    for (const tile of tiles) {
      setRowTileOverride('fwd', tile);
      const name = `${tile.TR}x${tile.TM}x${tile.TN}`;
      if (process.env.ONLY !== 'dx') report('fwd', name, await measure(() => conv2dForward(x, w, null, g)));
      if (layer.name !== 'conv1' && process.env.ONLY !== 'fwd') report('dx ', name, await measure(() => conv2dInputGrad(gy, w, g)));
    }
    setRowTileOverride('fwd', null);
  }
  if (!process.env.ONLY || process.env.ONLY === 'dw') {
    const tiles = (process.env.DW_TILES ?? '8x2u7,8x2u4,4x2u7,4x1u14,8x1u4,4x4u4,2x2u14').split(',').map((t) => {
      const [TM, TC, U] = /(\d+)x(\d+)u(\d+)/.exec(t)!.slice(1).map(Number) as [number, number, number];
      return { TM, TC, U };
    });
    for (const tile of tiles) {
      setRowTileOverride('dw', tile);
      report('dw ', `${tile.TM}x${tile.TC}u${tile.U}`, await measure(() => conv2dWeightGrad(gy, x, g)));
    }
    setRowTileOverride('dw', null);
    setConvPath('gemm');
    for (const tile of [{ TM: 8, TN: 8, U: 2 }, { TM: 8, TN: 9, U: 1 }, { TM: 16, TN: 9, U: 1 }, { TM: 4, TN: 9, U: 2 }]) {
      setTileOverride('conv_dw', tile);
      report('dw ', `gemm ${tile.TM}x${tile.TN}u${tile.U}`, await measure(() => conv2dWeightGrad(gy, x, g)));
    }
    setTileOverride('conv_dw', null);
    setConvPath('auto');
  }
  for (const t of [x, w, gy]) t.dispose();
}
process.exit(0);
