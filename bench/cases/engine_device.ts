/** Opens the engine's WebGPU device in the bench page (the worker does this in the app). */
import { hasDevice, setDevice, summarizeAdapter, type AdapterSummary } from '../../src/engine/device';

let summary: AdapterSummary | null = null;

export async function openEngineDevice(): Promise<AdapterSummary> {
  if (hasDevice() && summary) return summary;
  if (!navigator.gpu) throw new Error('WebGPU is not available in this browser (navigator.gpu is missing)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU: no adapter');
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  device.addEventListener('uncapturederror', (e) => console.error('WebGPU error:', (e as GPUUncapturedErrorEvent).error.message));
  setDevice(device);
  summary = summarizeAdapter(adapter.info);
  return summary;
}
