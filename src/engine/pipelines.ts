/**
 * Compute pipelines cached by shader key: nothing is compiled twice. A kernel's key names the op and
 * whatever changes its WGSL (ranks, dtypes, tile sizes, override constants).
 */
import { getDevice, onDeviceChange } from './device';

const cache = new Map<string, GPUComputePipeline>();
let debugKernels: ReadonlySet<string> = new Set();

/** Print the WGSL of kernels whose key starts with one of these names (like tfjs's WEBGPU_PRINT_SHADER). */
export function setDebugKernels(names: Iterable<string>): void {
  debugKernels = new Set(names);
}

export function getPipeline(key: string, wgsl: () => string, constants?: Record<string, number>): GPUComputePipeline {
  let pipeline = cache.get(key);
  if (pipeline) return pipeline;
  const code = wgsl();
  for (const name of debugKernels) if (key.startsWith(name)) console.log(`[wgsl ${key}]\n${code}`);
  const device = getDevice();
  const module = device.createShaderModule({ code, label: key });
  pipeline = device.createComputePipeline({
    label: key,
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants },
  });
  cache.set(key, pipeline);
  return pipeline;
}

export function pipelineCount(): number {
  return cache.size;
}

onDeviceChange(() => cache.clear());
