/**
 * A real WebGPU device for unit tests: Dawn through the `webgpu` package, on SwiftShader. There is no
 * skip path: a test that needs the GPU fails loudly, naming what is missing, when there is no adapter.
 */
import { create, globals } from 'webgpu';
import { setDevice } from '../engine/device';
import { SWIFTSHADER_ICD } from './gpuEnv';

let devicePromise: Promise<GPUDevice> | null = null;

async function open(): Promise<GPUDevice> {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      `No WebGPU adapter in Node. Unit tests need Debian's Chromium (for ${SWIFTSHADER_ICD} and its libvulkan): ` +
        `apt-get install -y chromium. VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(unset)'}, ` +
        `LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? '(unset)'}.`,
    );
  }
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
    },
  });
  device.addEventListener('uncapturederror', (e) => {
    // Validation errors in a test are bugs: make them impossible to miss.
    console.error('WebGPU uncaptured error:', (e as GPUUncapturedErrorEvent).error.message);
  });
  setDevice(device);
  return device;
}

/** The shared test device (one per test process), also installed as the engine's device. */
export function getTestDevice(): Promise<GPUDevice> {
  devicePromise ??= open();
  return devicePromise;
}
