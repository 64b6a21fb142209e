/**
 * Helpers shared by the profiling and tuning scripts. Times are best of three rounds, per call, in this
 * process's CPU time (SwiftShader runs on the CPU, so CPU time is steadier than wall time on a shared
 * machine) and in wall time.
 */

export interface Timing {
  cpu: number;
  wall: number;
}

/** `--name value` from the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Calls `fn` once to compile its pipelines, then times `reps` calls (and the GPU work they queue) three times. */
export async function bestOfThree(fn: () => void, reps: number): Promise<Timing> {
  // Imported here, not at the top: scripts set the WebGPU environment before loading the engine.
  const { sync } = await import('../../src/engine/commands');
  fn();
  await sync();
  let best: Timing = { cpu: Infinity, wall: Infinity };
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    await sync();
    const c = process.cpuUsage(c0);
    const t = { cpu: (c.user + c.system) / 1000 / reps, wall: (performance.now() - w0) / reps };
    if (t.cpu < best.cpu) best = t;
  }
  return best;
}
