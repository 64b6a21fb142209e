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
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
