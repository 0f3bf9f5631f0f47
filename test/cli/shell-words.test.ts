import { describe, expect, it } from 'vitest'
import { shellCommandLine, shellQuote } from '../../src-shared/shell-words.ts'

/** Task names made from argv read as what a POSIX shell user would type to run it. */
describe('shellCommandLine', () => {
  it('leaves plain words untouched', () => {
    expect(shellCommandLine(['make', 'test'])).toBe('make test')
    expect(shellCommandLine(['rsync', '-a', '--delete', '~/notes/', 'host:/b/x=1,y@2%+'])).toBe("rsync -a --delete '~/notes/' host:/b/x=1,y@2%+")
  })

  it('single-quotes words with spaces or shell syntax', () => {
    expect(shellCommandLine(['echo', 'a | b'])).toBe("echo 'a | b'")
    expect(shellCommandLine(['sh', '-c', 'echo $HOME; ls *'])).toBe("sh -c 'echo $HOME; ls *'")
    expect(shellQuote('a&b')).toBe("'a&b'")
    expect(shellQuote('#x')).toBe("'#x'")
  })

  it("writes a single quote as '\\''", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellCommandLine(['echo', "'"])).toBe("echo ''\\'''")
  })

  it("shows an empty word as ''", () => {
    expect(shellCommandLine(['printf', '%s', ''])).toBe("printf %s ''")
  })

  it('keeps Hangul and accented letters as they are', () => {
    expect(shellCommandLine(['echo', '안녕하세요', 'café'])).toBe('echo 안녕하세요 café')
    expect(shellCommandLine(['echo', '안녕 세상'])).toBe("echo '안녕 세상'")
  })
})
