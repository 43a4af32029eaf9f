import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      // Dependencies stay in node_modules (better-sqlite3 and serialport load N-API prebuilds from there).
      externalizeDeps: true,
      rollupOptions: {
        input: {
          // Electron's main process.
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          // Browser mode: the same core under plain Node, serving the renderer over loopback.
          web: resolve(import.meta.dirname, 'src/core/web/cli.ts'),
          // The core headless in a child process (crash tests, benchmark).
          headless: resolve(import.meta.dirname, 'src/core/app/headless.ts'),
          // Headquarters (chains): ingest, dashboard API and the dashboard's static files.
          hq: resolve(import.meta.dirname, 'src/hq/cli.ts'),
          // A receipt printer stand-in for trying printing without hardware (`npm run printer`).
          printer: resolve(import.meta.dirname, 'src/core/devices/printer-standin-cli.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require node_modules: bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      // Shipped minified: the cashier page and the customer display load only what they need (the
      // back-office screens are lazy chunks); sizes are measured by `npm run bench` (renderer-size).
      minify: true,
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/renderer/index.html'),
          customer: resolve(import.meta.dirname, 'src/renderer/customer.html'),
          hq: resolve(import.meta.dirname, 'src/renderer/hq.html'),
        },
      },
    },
  },
});
