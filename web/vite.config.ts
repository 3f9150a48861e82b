import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.CONSOLE_API ?? 'http://127.0.0.1:3000';

/**
 * The web console: `npm run build:web` writes web/dist, which the api process serves at `/`.
 * `npm run dev:web` serves the sources with hot reload, passing /v1 and /console to a running API.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Preact's automatic JSX runtime.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // lightweight-charts is most of the bundle and changes least: its own chunk caches apart.
    rolldownOptions: {
      output: { codeSplitting: { groups: [{ name: 'charts', test: /node_modules[\\/](lightweight-charts|fancy-canvas)/ }] } },
      // On a busy two-core machine every build is "slow": the timing report is noise in npm start's output.
      checks: { bundlerTimings: false },
    },
  },
  server: { host: '127.0.0.1', port: 5173, proxy: { '/v1': api, '/console': api } },
});
