import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

const root = import.meta.dirname

// Three bundles, named explicitly because our folders are not the template's defaults.
// The main bundle has several entries: the Electron app (desktop), the plain-Node CLI and
// headless server (cli), and the worker-thread entries the engine starts by file path.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(root, 'src-main/desktop/main.ts'),
          cli: resolve(root, 'src-main/cli/main.ts'),
          'script-worker': resolve(root, 'src-main/engine/runners/script-worker.ts'),
          // The desktop app's runtime (engine, SQLite, triggers, local server) off Electron's main thread.
          'runtime-worker': resolve(root, 'src-main/app/runtime-worker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(root, 'src-preload/index.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
})
