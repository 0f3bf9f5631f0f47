import { chromium, type Browser } from 'playwright-core'

/** Debian's headless Chromium, quiet (no network of its own, no GPU, no first-run work), with any `extraArgs`. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync', ...extraArgs],
  })
}
