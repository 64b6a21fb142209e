/**
 * A real WebGPU device for unit tests: Dawn through the `webgpu` package, on SwiftShader. There is no
 * skip path: a test that needs the GPU fails loudly, naming what is missing, when there is no adapter.
 */
import { create, globals } from 'webgpu';
import { setDevice } from '../engine/device';
import { flush } from '../engine/commands';
import { SWIFTSHADER_ICD } from './gpuEnv';

let devicePromise: Promise<GPUDevice> | null = null;
// Dawn's instance and adapter must outlive the device: if their JS wrappers are garbage-collected, the
// native objects go with them and the process crashes in the middle of a later GPU call.
const keepAlive = new Set<object>();

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
  keepAlive.add(gpu).add(adapter);
  const device = await adapter.requestDevice();
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

/** Waits for submitted work and destroys the device (called after each test file). */
export async function closeTestDevice(): Promise<void> {
  if (!devicePromise) return;
  const device = await devicePromise;
  devicePromise = null;
  flush();
  await device.queue.onSubmittedWorkDone();
  setDevice(null);
  device.destroy();
  keepAlive.clear();
}
