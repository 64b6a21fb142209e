import { defineConfig } from 'vite';

/**
 * The standalone runtime of compiled models (.qatm) as one ES module, for pages outside the playground:
 *   npm run build:runtime  →  dist/runtime/qatm-runtime.js
 *   import { QatmRuntime } from './qatm-runtime.js';
 * Its WGSL kernels are inlined; the GPU code is included (loaded only when the WebGPU backend is used).
 */
export default defineConfig({
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: 'dist/runtime',
    emptyOutDir: true,
    lib: { entry: 'src/export/runtime/index.ts', formats: ['es'], fileName: () => 'qatm-runtime.js' },
    rolldownOptions: { output: { keepNames: true, inlineDynamicImports: true } },
  },
});
