import { defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Vite's static server labels `x.gz` files `Content-Encoding: gzip`, so the browser would unzip the
 * dataset itself. Serve them as plain `application/gzip` instead, as static hosts do, so the page's own
 * streaming reader (DecompressionStream, byte progress) is what runs in development and in tests.
 */
function plainGzipFiles(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    if (req.url && /\.gz(\?|$)/.test(req.url)) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: typeof res, ...args: unknown[]) {
        const headers = args.find((a): a is Record<string, unknown> => typeof a === 'object' && a !== null && !Array.isArray(a));
        if (headers) {
          delete headers['Content-Encoding'];
          headers['Content-Type'] = 'application/gzip';
        }
        res.removeHeader('Content-Encoding');
        return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.writeHead;
    }
    next();
  };
  return {
    name: 'plain-gzip-files',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

// The DSL looks classes up by name (fused module classes, module type names in the check table), so
// minification must keep function and class names, in the page and in the worker.
const keepNames = { output: { keepNames: true } };

// Relative base so the built page works from any folder (and from a static file server).
export default defineConfig({
  base: './',
  plugins: [react(), plainGzipFiles()],
  worker: { format: 'es', rolldownOptions: keepNames },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    // The page, and the standalone runtime's example page (examples/runtime: runs a downloaded .qatm).
    rolldownOptions: { ...keepNames, input: { main: 'index.html', runtime: 'examples/runtime/index.html' } },
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
