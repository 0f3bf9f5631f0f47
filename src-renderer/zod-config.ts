import { z } from 'zod'

/**
 * Imported first by main.tsx. zod compiles fast parsers with `new Function` when it may;
 * under our CSP (no 'unsafe-eval') even its probe for that is a reported violation, so
 * the renderer tells zod not to try.
 */
z.config({ jitless: true })
