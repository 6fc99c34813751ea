import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console's build: `npm run build:console` (run by npm install / npm ci through `prepare`)
 * writes console/dist, which the service serves at /console (src/infrastructure/http/consoleRoutes.ts).
 * Everything is emitted as files of its own, nothing inlined: the console's Content-Security-Policy
 * allows scripts and styles from the service only, and no data: URLs for them.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: { proxy: { '^/(?!console)': 'http://localhost:3000' } },
});
