import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in Debian's Chromium (Playwright's own browser download does not work on these
 * machines) against the built app served by `vite preview` on 127.0.0.1.
 *
 * WebGPU headless: `--enable-unsafe-webgpu` is the one flag needed. Chromium 156's headless mode then
 * offers its SwiftShader adapter (vendor 'google', architecture 'swiftshader') to pages and workers
 * with no GPU and no display; without the flag, requestAdapter() resolves to null. The flags
 * `--enable-features=Vulkan`, `--use-angle=swiftshader` and `--use-webgpu-adapter=swiftshader` change
 * nothing here and are left out. The others keep Chromium off the (closed) network.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  throw new Error(
    `End-to-end tests need Debian's Chromium at ${CHROMIUM}, and it is not there. ` +
      `Install it with "sudo apt-get install -y chromium" (bash .ci/run does this), or set CHROMIUM_PATH.`,
  );
}
if (!process.env.PLAYWRIGHT_REUSE_SERVER && !existsSync('dist/index.html')) {
  throw new Error('End-to-end tests run against the built app, and dist/index.html is missing: run "npm run build" first (npm test does).');
}

const QUIET = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', ...QUIET];

const PORT = 4173;

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  // Two cores and a software GPU: one test at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    browserName: 'chromium',
    baseURL: `http://127.0.0.1:${PORT}/`,
    viewport: { width: 1440, height: 900 },
    launchOptions: { executablePath: CHROMIUM, args: WEBGPU_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'webgpu', testIgnore: /no-webgpu\.spec\.ts/ },
    {
      // The same browser without the WebGPU flag: no adapter, so the page must say why and keep working.
      name: 'no-webgpu',
      testMatch: /no-webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath: CHROMIUM, args: QUIET } },
    },
  ],
  webServer: {
    command: `node node_modules/vite/bin/vite.js preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !!process.env.PLAYWRIGHT_REUSE_SERVER,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
