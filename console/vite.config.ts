// Builds the console into dist/console/ at the package root, which the server serves (src/http/console.ts).
// No CDN and no runtime fetches of our own: everything the page needs is in the bundle, so it works offline.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Small enough to read in a browser's devtools when a responder reports a bug; no source maps shipped.
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  // `npm run dev:console` proxies the API to a server started with `npm run dev`.
  server: {
    proxy: {
      '/trpc': 'http://127.0.0.1:8000',
      '/api': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
});
