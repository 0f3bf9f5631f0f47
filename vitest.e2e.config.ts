import { defineConfig } from 'vitest/config'

// Browser tests: real Chromium (Debian's) driving `taskdeck serve` built from out/.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
