import { defineConfig } from 'vitest/config'

// Browser tests: real Chromium (Debian's) driving `taskdeck serve` built from out/.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // expect.poll waits for the UI to settle; its 1 s default is too short when the 2 cores are busy.
    expect: { poll: { timeout: 15_000 } },
  },
})
