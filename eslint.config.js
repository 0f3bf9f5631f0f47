import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

// Runtime folders are import boundaries (see docs/architecture.md):
// src-shared imports nothing runtime-specific; src-renderer imports only src-shared and
// itself; only src-main/desktop and src-preload may import electron.
const nodeBuiltins = { group: ['node:*'], message: 'src-shared and src-renderer must not use Node built-ins.' }
const electron = { name: 'electron', message: 'Only src-main/desktop and src-preload may import electron.' }
const mainFromRenderer = {
  group: ['**/src-main/**', '**/src-preload/**', '../src-main/**', '../../src-main/**'],
  message: 'src-renderer may import only src-shared and itself.',
}
const noRawIpc = {
  selector: "MemberExpression[object.name='ipcRenderer']",
  message: 'Expose named functions through contextBridge; never ipcRenderer itself.',
}

// Security checklist item 8 (docs/desktop.md "Hardening"): web preferences that weaken the
// renderer are left at Electron's safe defaults. Banned as keys of any object literal, anywhere.
const key = (names) => `:matches([key.name=${names}], [key.value=${names}])`
const securityChecklist = 'stays at its safe default (Electron security checklist; see src-main/desktop/window.ts)'
const weakWebPreferences = [
  {
    selector: `Property${key('enableBlinkFeatures')}`,
    message: `Do not set enableBlinkFeatures: the web preference ${securityChecklist}.`,
  },
  {
    // Stating the default (false) is allowed, as window.ts does; anything else (true, a variable) is not.
    selector: `Property${key('/^(allowRunningInsecureContent|experimentalFeatures)$/')}:not([value.value=false])`,
    message: `allowRunningInsecureContent and experimentalFeatures may only be false: each web preference ${securityChecklist}.`,
  },
  {
    selector: `Property${key('/^(webSecurity|contextIsolation|sandbox)$/')}[value.value=false]`,
    message: `webSecurity, contextIsolation and sandbox must not be false: each web preference ${securityChecklist}.`,
  },
  {
    selector: `Property${key('/^nodeIntegration(InWorker|InSubFrames)?$/')}[value.value=true]`,
    message: `nodeIntegration must not be true: the web preference ${securityChecklist}.`,
  },
]

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-artifacts/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { paths: [electron] }],
      'no-restricted-syntax': ['error', ...weakWebPreferences],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src-shared/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electron], patterns: [nodeBuiltins, mainFromRenderer] }] },
  },
  {
    files: ['src-renderer/**', 'bench/ui-worker/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [electron], patterns: [nodeBuiltins, mainFromRenderer] }] },
  },
  { files: ['src-main/desktop/**', 'src-preload/**'], rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': ['error', noRawIpc, ...weakWebPreferences] } },
  { files: ['src-preload/**'], rules: { 'no-restricted-syntax': ['error', ...weakWebPreferences] } },
)
