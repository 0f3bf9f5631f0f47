import { existsSync } from 'node:fs'

/**
 * The file of a worker-thread entry (`script-worker`, `runtime-worker`) for the module at
 * `moduleUrl` (its `import.meta.url`), which starts that worker.
 *
 * From the sources (a `.ts` url) the entry is the `.ts` file beside the module. In the build
 * (electron-vite, see electron.vite.config.ts) the entries are out/main/NAME.js, but the module
 * asking may have been bundled into a shared chunk, out/main/chunks/*.js, one folder below:
 * so the entry is looked for beside the module, then in the folder above. A url that names
 * neither file is returned as "beside the module", so a missing build fails with that path.
 *
 * Packaged, the files stay inside app.asar: Electron reads the archive from worker threads
 * (since Electron 18, electron/electron#33216), and an unpacked copy of an entry would not
 * find its chunks (`./chunks/…`) or dependencies, which stay in the archive.
 */
export function workerEntryBeside(moduleUrl: string, name: string): URL {
  if (moduleUrl.endsWith('.ts')) return new URL(`./${name}.ts`, moduleUrl)
  const beside = new URL(`./${name}.js`, moduleUrl)
  if (existsSync(beside)) return beside
  const above = new URL(`../${name}.js`, moduleUrl)
  return existsSync(above) ? above : beside
}
