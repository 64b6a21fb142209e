import { afterAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { getDevice, hasDevice } from '../engine/device';
import { NO_ADAPTER, NO_WEBGPU_API, openGpu } from './gpu';

// Dawn's instance must outlive the device (see src/testing/gpu.ts).
const keepAlive: object[] = [];

describe('openGpu', () => {
  let opened: GPUDevice | null = null;
  afterAll(async () => {
    if (opened) {
      await opened.queue.onSubmittedWorkDone();
      opened.destroy();
    }
  });

  it('opens a device at the adapter limits, installs it in the engine, and summarizes the adapter', async () => {
    const gpu = create([]);
    keepAlive.push(gpu);
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('No WebGPU adapter in Node: unit tests need Debian chromium (SwiftShader); see src/testing/gpu.ts');
    keepAlive.push(adapter);
    const lost: string[] = [];
    const { report, device } = await openGpu(gpu, (m) => lost.push(m));
    opened = device;
    if (!report.available) throw new Error(`expected an adapter, got: ${report.reason}`);
    expect(report.adapter.vendor).toBe(adapter.info.vendor || 'unknown');
    expect(report.adapter.architecture.length).toBeGreaterThan(0);
    expect(report.limits.maxBufferSize).toBe(adapter.limits.maxBufferSize);
    expect(report.limits.maxComputeWorkgroupStorageSize).toBe(adapter.limits.maxComputeWorkgroupStorageSize);
    expect(hasDevice()).toBe(true);
    expect(getDevice()).toBe(device);
    expect(lost).toEqual([]);
  });

  it('explains a browser without navigator.gpu', async () => {
    expect(await openGpu(undefined, () => {})).toEqual({ report: { available: false, reason: NO_WEBGPU_API }, device: null });
  });

  it('explains a missing adapter, and a failing requestAdapter or requestDevice', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    expect((await openGpu(noAdapter, () => {})).report).toEqual({ available: false, reason: NO_ADAPTER });

    const throwing = { requestAdapter: async () => Promise.reject(new Error('GPU process crashed')) } as unknown as GPU;
    expect((await openGpu(throwing, () => {})).report).toEqual({ available: false, reason: 'requestAdapter() failed: GPU process crashed' });

    const adapter = {
      limits: { maxBufferSize: 256 },
      features: new Set<string>(),
      info: { vendor: 'x', architecture: 'y', device: '', description: '' },
      requestDevice: async () => Promise.reject(new TypeError('limit exceeded')),
    };
    const refusing = { requestAdapter: async () => adapter } as unknown as GPU;
    expect((await openGpu(refusing, () => {})).report).toEqual({
      available: false,
      reason: 'The adapter would not open a device (requestDevice: limit exceeded).',
    });
  });
});
