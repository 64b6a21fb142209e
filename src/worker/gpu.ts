/**
 * Opens the WebGPU adapter and device in the worker, at the adapter's limits, and installs the device
 * in the engine. Without WebGPU it says why, in words a person can act on.
 */
import { setDevice, summarizeAdapter } from '../engine/device';
import type { GpuReport } from './protocol';

/** Limits that bound compute kernels; the device asks for the adapter's maximum of each. */
const COMPUTE_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
] as const;

/** Optional features that kernels or the benchmark use when present. */
const WANTED_FEATURES: readonly GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

export const NO_WEBGPU_API =
  'This browser has no WebGPU (navigator.gpu is missing). Use a current Chrome, Edge or Chromium (Safari 26 and Firefox 141 on some systems also work).';
export const NO_ADAPTER =
  'WebGPU is there but offered no adapter: it may be turned off or the GPU blocklisted. Check chrome://gpu; on Linux, Chromium needs --enable-unsafe-webgpu.';

export interface OpenedGpu {
  report: GpuReport;
  device: GPUDevice | null;
}

export async function openGpu(gpu: GPU | undefined, onLost: (message: string) => void): Promise<OpenedGpu> {
  if (!gpu) return { report: { available: false, reason: NO_WEBGPU_API }, device: null };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { report: { available: false, reason: `requestAdapter() failed: ${message(error)}` }, device: null };
  }
  if (!adapter) return { report: { available: false, reason: NO_ADAPTER }, device: null };

  const requiredLimits: Record<string, number> = {};
  for (const name of COMPUTE_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((feature) => adapter.features.has(feature));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (error) {
    return {
      report: { available: false, reason: `The adapter would not open a device (requestDevice: ${message(error)}).` },
      device: null,
    };
  }
  void device.lost.then((info) => {
    setDevice(null);
    // 'destroyed' is our own doing (a reopen); anything else the page must hear about.
    if (info.reason !== 'destroyed') onLost(`The GPU device was lost (${info.reason || 'unknown'}): ${info.message}`);
  });
  setDevice(device);

  const limits: Record<string, number> = {};
  for (const name of COMPUTE_LIMITS) {
    const value = (device.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') limits[name] = value;
  }
  return {
    report: {
      available: true,
      adapter: summarizeAdapter(adapter.info, gpu.wgslLanguageFeatures as ReadonlySet<string> | undefined),
      limits,
      features: [...device.features].sort(),
    },
    device,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
