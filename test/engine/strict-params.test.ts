import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { COMMANDS, COMMAND_NAMES, strictRequest } from '../../src-shared/index.ts'

/** Types with no schema inside (a transform is a function): nothing in them to make strict. Free-form JSON (lazy) is left as it is on purpose. */
const LEAVES = new Set(['string', 'number', 'int', 'boolean', 'bigint', 'null', 'undefined', 'literal', 'enum', 'unknown', 'any', 'never', 'lazy', 'date', 'template_literal', 'nan', 'custom', 'transform'])

/** Walks a params schema as strictRequest made it: every object refuses unknown keys, and every container type is one strictRequest knows. */
function unstrict(schema: z.ZodType, path: string, seen = new Set<z.ZodType>()): string[] {
  if (seen.has(schema)) return []
  seen.add(schema)
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>
  const walk = (child: unknown, at: string) => unstrict(child as z.ZodType, at, seen)
  switch (def.type) {
    case 'object': {
      const own = (def.catchall as z.ZodType | undefined)?._zod.def.type === 'never' ? [] : [`${path}: an object that accepts unknown keys`]
      return [...own, ...Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, value]) => walk(value, `${path}.${key}`))]
    }
    case 'array':
      return walk(def.element, `${path}[]`)
    case 'tuple':
      return [...(def.items as z.ZodType[]).flatMap((item, i) => walk(item, `${path}[${i}]`)), ...(def.rest ? walk(def.rest, `${path}[...]`) : [])]
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return walk(def.innerType, path)
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => walk(option, path))
    case 'intersection':
      return [...walk(def.left, path), ...walk(def.right, path)]
    case 'record':
      return walk(def.valueType, `${path}.*`)
    case 'pipe':
      return [...walk(def.in, path), ...walk(def.out, path)]
    default:
      return LEAVES.has(def.type) ? [] : [`${path}: a ${def.type}, which strictRequest does not look into`]
  }
}

describe('strict request params', () => {
  it('every command\'s params refuse unknown keys at every depth, through every container type they use', () => {
    expect(COMMAND_NAMES.flatMap((name) => unstrict(COMMANDS[name].params, name))).toEqual([])
  })

  it('looks into tuples too', () => {
    const strict = strictRequest(z.tuple([z.object({ a: z.number() })], z.object({ b: z.number() })))
    expect(strict.safeParse([{ a: 1 }, { b: 2 }]).success).toBe(true)
    expect(strict.safeParse([{ a: 1, x: 1 }]).success).toBe(false)
    expect(strict.safeParse([{ a: 1 }, { b: 2, x: 1 }]).success).toBe(false)
  })

  it('the walk above notices a container strictRequest leaves alone', () => {
    expect(unstrict(strictRequest(z.object({ m: z.map(z.string(), z.object({ a: z.number() })) })), 'p')).toEqual(['p.m: a map, which strictRequest does not look into'])
  })
})
