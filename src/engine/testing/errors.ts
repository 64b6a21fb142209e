/**
 * Fails the current test on any WebGPU validation error (by default they only reach the console).
 * Call once at the top of a test file that uses the GPU.
 */
import { afterEach, beforeEach } from 'vitest';
import { getTestDevice } from '../../testing/gpu';
import { flush } from '../commands';

export function failOnGpuErrors(): void {
  let device: GPUDevice | null = null;
  beforeEach(async () => {
    device = await getTestDevice();
    device.pushErrorScope('validation');
  });
  afterEach(async () => {
    if (!device) return;
    flush();
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU validation error: ${error.message}`);
  });
}
