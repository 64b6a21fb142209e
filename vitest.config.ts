import { defineConfig } from 'vitest/config';
import { gpuTestEnv } from './src/testing/gpuEnv.ts';

// Unit tests reach a real WebGPU device through Dawn (the `webgpu` package) on the SwiftShader Vulkan
// driver that Debian's Chromium ships. The loader reads these variables when a test process starts, so
// they are set here, before vitest forks its workers.
Object.assign(process.env, gpuTestEnv(process.env));

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['src/testing/setup.ts'],
    pool: 'forks',
    // The pipeline tests train, calibrate and convert a small model on SwiftShader: seconds on an idle
    // 2-core machine, minutes when the machine is shared. A generous limit keeps them from failing on load.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
