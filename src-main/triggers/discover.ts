import { existsSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import {
  LIMITS,
  TaskDefinitionSchema,
  TaskdeckError,
  describeIssues,
  issuesOf,
  type FieldIssue,
  type SavedTaskCandidate,
} from '../../src-shared/index.ts'

/** Files larger than this are not project files anyone wrote by hand; refuse rather than parse them. */
const MAX_PROJECT_FILE_BYTES = 1024 * 1024

/**
 * `taskdeck.json`: named tasks, each a command line (run by the shell, in the folder) or a
 * whole task definition (its cwd, when relative or absent, is the folder).
 */
const ProjectFileSchema = z.object({
  tasks: z
    .record(z.string().min(1).max(LIMITS.nameChars), z.unknown())
    .refine((tasks) => Object.keys(tasks).length <= 1000, 'at most 1000 tasks'),
})

function readSmall(path: string, field: string): string | null {
  if (!existsSync(path)) return null
  if (statSync(path).size > MAX_PROJECT_FILE_BYTES) {
    throw new TaskdeckError('too_large', `${field}: ${path} is larger than ${MAX_PROJECT_FILE_BYTES} bytes`)
  }
  return readFileSync(path, 'utf8')
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new TaskdeckError('bad_request', `${file}: not valid JSON (${error instanceof Error ? error.message : 'unreadable'})`)
  }
}

function fromTaskdeckJson(folder: string): SavedTaskCandidate[] {
  const file = join(folder, 'taskdeck.json')
  const text = readSmall(file, 'taskdeck.json')
  if (text === null) return []
  const parsed = ProjectFileSchema.safeParse(parseJson(text, file))
  if (!parsed.success) {
    const issues = issuesOf(parsed.error)
    throw new TaskdeckError('bad_request', describeIssues(file, issues), { issues })
  }
  const candidates: SavedTaskCandidate[] = []
  const issues: FieldIssue[] = []
  for (const [name, value] of Object.entries(parsed.data.tasks)) {
    const input = typeof value === 'string' ? { spec: { kind: 'shell', command: value } } : value
    const definition = TaskDefinitionSchema.safeParse(input)
    if (!definition.success) {
      issues.push(...issuesOf(definition.error).map((i) => ({ path: `tasks.${name}.${i.path}`, message: i.message })))
      continue
    }
    const spec = definition.data.spec
    const inFolder =
      spec.kind === 'shell' ? { ...spec, cwd: spec.cwd && isAbsolute(spec.cwd) ? spec.cwd : resolve(folder, spec.cwd ?? '.') } : spec
    candidates.push({ name, definition: { ...definition.data, name: definition.data.name ?? name, spec: inFolder }, source: 'taskdeck.json' })
  }
  if (issues.length > 0) throw new TaskdeckError('bad_request', describeIssues(file, issues), { issues })
  return candidates
}

/** The package manager the folder's lockfile names; npm when there is none. */
function packageManager(folder: string): string {
  if (existsSync(join(folder, 'pnpm-lock.yaml'))) return 'pnpm'
  if (existsSync(join(folder, 'yarn.lock'))) return 'yarn'
  if (existsSync(join(folder, 'bun.lockb')) || existsSync(join(folder, 'bun.lock'))) return 'bun'
  return 'npm'
}

function fromPackageJson(folder: string): SavedTaskCandidate[] {
  const file = join(folder, 'package.json')
  const text = readSmall(file, 'package.json')
  if (text === null) return []
  const scripts = (parseJson(text, file) as { scripts?: unknown }).scripts
  if (typeof scripts !== 'object' || scripts === null) return []
  const runner = packageManager(folder)
  return Object.keys(scripts)
    .filter((script) => script.length > 0 && script.length < LIMITS.nameChars - 10)
    .map((script) => ({
      name: `${runner} run ${script}`,
      // argv, not a command line: a script name is never interpreted by a shell.
      definition: TaskDefinitionSchema.parse({ name: `${runner} run ${script}`, spec: { kind: 'shell', command: [runner, 'run', script], cwd: folder } }),
      source: 'package.json' as const,
    }))
}

/**
 * Explicit targets of a Makefile: `name:` at the start of a line, not a variable
 * assignment (`x := y`), not a special (`.PHONY`) or pattern (`%.o`) target. Hand-written
 * because asking make itself (`make -pn`) would run the Makefile's shell functions.
 */
export function makeTargets(text: string): string[] {
  const targets = new Set<string>()
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_][A-Za-z0-9_./-]*(?:\s+[A-Za-z0-9_][A-Za-z0-9_./-]*)*)\s*::?(?![=:])/.exec(line)
    if (!match) continue
    for (const target of match[1]!.split(/\s+/)) targets.add(target)
  }
  return [...targets]
}

function fromMakefile(folder: string): SavedTaskCandidate[] {
  for (const fileName of ['GNUmakefile', 'makefile', 'Makefile']) {
    const text = readSmall(join(folder, fileName), fileName)
    if (text === null) continue
    return makeTargets(text).map((target) => ({
      name: `make ${target}`,
      definition: TaskDefinitionSchema.parse({ name: `make ${target}`, spec: { kind: 'shell', command: ['make', target], cwd: folder } }),
      source: 'Makefile' as const,
    }))
  }
  return []
}

/** Every task a project folder offers, each running in that folder. */
export function discoverFolder(folder: string): SavedTaskCandidate[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new TaskdeckError('bad_request', `folder: ${folder} is not an existing directory`, {
      issues: [{ path: 'folder', message: `${folder} is not an existing directory` }],
    })
  }
  return [...fromTaskdeckJson(folder), ...fromPackageJson(folder), ...fromMakefile(folder)]
}
