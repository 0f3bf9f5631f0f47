// Runs Electronegativity's scanner on a folder and writes a SARIF report:
//   node scan.mjs <input dir> <report.sarif> <electron version>
// Its network lookups (fresh translations; Electron's release list for
// AVAILABLE_SECURITY_FIXES, which the test excludes) use an old `got` whose retry timer
// crashes on Node 24 when offline, so every such request fails at once here.
import Module, { createRequire } from 'node:module'
import { sep } from 'node:path'

const load = Module._load
Module._load = function loadOffline(request, parent, isMain) {
  if (request === 'got' && parent && parent.filename.includes(`${sep}@doyensec${sep}`)) {
    const offline = () => Promise.reject(new Error('offline: network lookups are disabled in tests'))
    offline.head = offline
    return offline
  }
  return load.call(this, request, parent, isMain)
}

const [input, output, electronVersion] = process.argv.slice(2)
// The package's CLI needs an old commander; its runner is called directly instead.
const loadCommonJs = createRequire(import.meta.url)
const run = loadCommonJs('@doyensec/electronegativity/dist/runner.js')
run(
  {
    input,
    output,
    isSarif: true,
    customScan: [],
    excludeFromScan: ['availablesecurityfixesglobalcheck'],
    isRelative: true,
    isVerbose: false,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  },
  false,
).catch((error) => {
  console.error(error)
  // The report is written by a stream; let the process end by itself so it is flushed.
  process.exitCode = 1
})
