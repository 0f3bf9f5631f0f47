import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Firing, SavedTask, Trigger, TriggersDocument } from '../../src-shared/triggers.ts'
import { API_REVISIONS, apiFilePath } from '../../src-main/server/api-file.ts'
import { OLDER_SERVER } from '../../src-main/cli/exit.ts'
import { runCli, useServe } from './helpers.ts'

interface Added {
  trigger: Trigger
  savedTask: SavedTask
  url?: string
  secret?: string
}

/** `taskdeck trigger …` end to end: real CLI processes against a real `taskdeck serve` (engine + triggers). */
describe('taskdeck trigger', () => {
  const serve = useServe()
  const { home, work, cli } = serve
  const add = async (...args: string[]): Promise<Added> => {
    const result = await cli('trigger', 'add', '--json', ...args)
    expect(result.code, result.stderr).toBe(0)
    return result.json<Added>()
  }
  /** What is stored, read back through the CLI: saved tasks and triggers. */
  const stored = async (): Promise<TriggersDocument> => (await cli('trigger', 'export')).json<TriggersDocument>()
  /** Waits (on the trigger's own history, read again after each firing can have happened) until it has `count` firings. */
  const firings = async (triggerId: number, count: number): Promise<Firing[]> => {
    for (;;) {
      const { history } = (await cli('trigger', 'history', String(triggerId), '--json')).json<{ history: Firing[] }>()
      if (history.length >= count) return history
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('adds a cron schedule in a time zone and shows its next run times (list, show, --json)', async () => {
    const { trigger, savedTask } = await add('--cron', '30 9 * * 1-5', '--tz', 'Europe/Berlin', '--catch-up', 'all', '--name', 'standup', '--', 'echo', 'standup')
    expect(trigger).toMatchObject({ name: 'standup', paused: false, spec: { kind: 'schedule', cron: '30 9 * * 1-5', timezone: 'Europe/Berlin', catchUp: 'all' } })
    expect(savedTask).toMatchObject({ id: trigger.savedTaskId, name: 'standup', definition: { spec: { kind: 'shell', command: ['echo', 'standup'], cwd: work } } })
    expect(trigger.nextRunAt).toBeGreaterThan(Date.now())
    // 09:30 in Berlin is 08:30 or 07:30 UTC, on a weekday.
    const next = new Date(trigger.nextRunAt ?? 0)
    expect([7, 8]).toContain(next.getUTCHours())
    expect(next.getUTCMinutes()).toBe(30)
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay())

    const listed = (await cli('trigger', 'list', '--json')).json<{ triggers: Trigger[] }>().triggers
    expect(listed.find((t) => t.id === trigger.id)?.nextRunAt).toBe(trigger.nextRunAt)
    const table = await cli('trigger', 'list')
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+STATE\s+NEXT RUN\s+LAST FIRED\s+WHEN\s+TASK$/)
    expect(table.stdout).toMatch(new RegExp(`\\n${trigger.id}\\s+schedule\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:30:00 \\(in [^)]+\\)`))

    const shown = (await cli('trigger', 'show', String(trigger.id), '--json')).json<{ trigger: Trigger; upcoming: number[]; history: Firing[]; savedTask: SavedTask }>()
    expect(shown.upcoming.length).toBeGreaterThan(1)
    expect(shown.upcoming[0]).toBe(trigger.nextRunAt)
    expect([...shown.upcoming].sort((a, b) => a - b)).toEqual(shown.upcoming)
    expect(shown.savedTask.id).toBe(savedTask.id)
    const human = await cli('trigger', 'show', String(trigger.id))
    expect(human.stdout).toContain('next runs:')
    expect(human.stdout).toContain('starts:     saved task')
    expect(human.stdout).toContain('echo standup')
  })

  it('pauses and resumes an interval; a paused schedule has no next run', async () => {
    const { trigger } = await add('--every', '1h', '--catch-up', 'skip', '--overlap', 'skip', '--paused', '--', 'true')
    expect(trigger).toMatchObject({ paused: true, nextRunAt: null, spec: { kind: 'schedule', everyMs: 3_600_000, catchUp: 'skip', overlap: 'skip' } })
    expect((await cli('trigger', 'show', String(trigger.id))).stdout).toContain('every 1h, catch-up skip, one at a time')
    const resumed = (await cli('trigger', 'resume', String(trigger.id), '--json')).json<{ trigger: Trigger }>().trigger
    expect(resumed.paused).toBe(false)
    expect(resumed.nextRunAt).toBeGreaterThan(Date.now())
    const paused = await cli('trigger', 'pause', String(trigger.id))
    expect(paused.stdout).toBe(`Trigger ${trigger.id} paused.\n`)
    expect((await cli('trigger', 'list')).stdout).toMatch(new RegExp(`\\n${trigger.id}\\s+schedule\\s+paused\\s`))
  })

  it('adds a system trigger with --on wake,offline and shows it', async () => {
    const { trigger } = await add('--on', 'Wake,offline', '--debounce', '10s', '--', 'true')
    expect(trigger.spec).toEqual({ kind: 'system', events: ['wake', 'offline'], debounceMs: 10_000 })
    expect((await cli('trigger', 'show', String(trigger.id))).stdout).toContain('on wake, offline (debounce 10s)')
    await cli('trigger', 'rm', String(trigger.id), '--with-task')
  })

  it('fire runs the task now (even paused) and the firing is in its history', async () => {
    const { trigger } = await add('--every', '1d', '--paused', '--', 'sh', '-c', 'echo "fired by $TASKDECK_FIRED_BY"')
    const fired = await cli('trigger', 'fire', String(trigger.id), '--json')
    expect(fired.code, fired.stderr).toBe(0)
    const { firing } = fired.json<{ firing: Firing }>()
    expect(firing).toMatchObject({ triggerId: trigger.id, cause: 'manual', outcome: 'submitted' })
    const followed = await cli('follow', String(firing.taskId))
    expect(followed.stdout).toBe('fired by manual\n')
    const history = await cli('trigger', 'history', String(trigger.id))
    expect(history.stdout).toMatch(new RegExp(`manual\\s+submitted\\s+${firing.taskId}`))
  })

  it('a webhook gets a generated secret printed once; the hook answers only to it', async () => {
    const { trigger, url, secret } = await add('--webhook', '--', 'cat')
    expect(secret).toMatch(/^[\x21-\x7e]{16,}$/)
    expect(url).toBe(`${serve.info.url}hooks/${trigger.id}`)
    const wrong = await fetch(url ?? '', { method: 'POST', headers: { 'x-taskdeck-secret': 'not-the-secret-at-all' }, body: '{}' })
    expect(wrong.status).toBeGreaterThanOrEqual(400)
    const right = await fetch(url ?? '', { method: 'POST', headers: { 'x-taskdeck-secret': secret ?? '' }, body: '{"n":1}' })
    expect(right.status).toBe(202)
    // Shown once: neither the trigger nor an export carries it.
    expect(JSON.stringify((await cli('trigger', 'show', String(trigger.id), '--json')).json())).not.toContain(secret)
    expect((await cli('trigger', 'export')).stdout).not.toContain(secret)
    const human = await cli('trigger', 'add', '--webhook', '--', 'true')
    expect(human.stdout).toMatch(/Secret \(shown only now\): \S{16,}\n/)
    expect(human.stdout).toContain("curl -X POST -H 'X-Taskdeck-Secret: ")
    // The example sends JSON as JSON, so the task gets the body parsed, not as a string.
    const example = /\$ (curl .*)\n/.exec(human.stdout)?.[1] ?? ''
    const exampleHeaders = Object.fromEntries([...example.matchAll(/-H '([^:]+): ([^']+)'/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]))
    expect(exampleHeaders['content-type']).toBe('application/json')
    const exampleUrl = example.split(' ').at(-1) ?? ''
    const called = await fetch(exampleUrl, { method: 'POST', headers: exampleHeaders, body: '{"ref":"main"}' })
    expect(called.status).toBe(202)
    const hookHistory = await cli('trigger', 'history', exampleUrl.split('/').at(-1) ?? '')
    expect(hookHistory.stdout).toMatch(/webhook\s+submitted\s+\d+\s+14 bytes of application\/json\n/)

    // rotate-secret: a new one works, the old one no longer does.
    const rotated = (await cli('trigger', 'rotate-secret', String(trigger.id), '--json')).json<{ secret: string; url: string }>()
    expect(rotated.secret).not.toBe(secret)
    expect((await fetch(url ?? '', { method: 'POST', headers: { 'x-taskdeck-secret': secret ?? '' }, body: '{}' })).status).toBeGreaterThanOrEqual(400)
    expect((await fetch(rotated.url, { method: 'POST', headers: { 'x-taskdeck-secret': rotated.secret }, body: '{}' })).status).toBe(202)
    const notWebhook = await add('--every', '1h', '--', 'true')
    const refused = await cli('trigger', 'rotate-secret', String(notWebhook.trigger.id))
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('only webhooks have a secret')
  })

  it('--secret-stdin takes the secret from stdin; a short one is refused and nothing is stored', async () => {
    const mine = 'my-own-webhook-secret-1234'
    const added = await runCli(home, ['trigger', 'add', '--json', '--webhook', '--secret-stdin', '--', 'true'], { cwd: work, input: `${mine}\n` })
    expect(added.code, added.stderr).toBe(0)
    const { url, secret } = added.json<Added>()
    expect(secret).toBeUndefined()
    expect((await fetch(url ?? '', { method: 'POST', headers: { 'x-taskdeck-secret': mine }, body: '{}' })).status).toBe(202)

    const before = await stored()
    const short = await runCli(home, ['trigger', 'add', '--webhook', '--secret-stdin', '--', 'true'], { cwd: work, input: 'short\n' })
    expect(short.code).toBe(2)
    expect(short.stderr).toContain('secret')
    expect(await stored()).toEqual({ ...before, exportedAt: expect.any(Number) as unknown })
  })

  it('file watches take paths relative to here; shortcuts are normalised', async () => {
    writeFileSync(join(work, 'notes.md'), '# notes\n')
    const { trigger } = await add('--path', '*.md', '--path', 'notes.md', '--debounce', '2s', '--events', 'add,change', '--', 'true')
    expect(trigger.spec).toEqual({ kind: 'fileWatch', paths: [join(work, '*.md'), join(work, 'notes.md')], debounceMs: 2000, events: ['add', 'change'], maxWaitMs: 30_000 })
    const shortcut = await add('--accelerator', 'ctrl+shift+k', '--', 'true')
    expect(shortcut.trigger.spec).toEqual({ kind: 'shortcut', accelerator: 'Control+Shift+K' })
  })

  it('--events chooses which changes start a file watch (folders too), says so in list and show, and names a wrong one', async () => {
    const folder = join(work, 'inbox')
    mkdirSync(folder)
    const { trigger } = await add('--path', folder, '--events', 'unlink,addDir,UNLINK', '--', 'true')
    expect(trigger.spec).toMatchObject({ kind: 'fileWatch', events: ['unlink', 'addDir'] })
    expect((await cli('trigger', 'show', String(trigger.id))).stdout).toContain(`when:       watch ${folder} (unlink, addDir; debounce 500ms)`)
    // The default says nothing.
    const all = await add('--path', folder, '--', 'true')
    expect(all.trigger.spec).toMatchObject({ events: ['add', 'change', 'unlink'] })
    expect((await cli('trigger', 'show', String(all.trigger.id))).stdout).toContain(`when:       watch ${folder} (debounce 500ms)`)

    const before = await stored()
    for (const [given, told] of [
      ['add,delete', 'taskdeck: --events: "delete" is not one of add, change, unlink, addDir, unlinkDir (for delete, give unlink).\n'],
      ['rename', 'taskdeck: --events: "rename" is not one of add, change, unlink, addDir, unlinkDir.\n'],
    ]) {
      const refused = await cli('trigger', 'add', '--path', folder, '--events', given!, '--', 'true')
      expect([refused.code, refused.stderr]).toEqual([2, told])
    }
    expect(await stored()).toEqual({ ...before, exportedAt: expect.any(Number) as unknown })
  })

  it('a refused trigger add saves nothing and uses up no id: the next add gets the saved task id the refused one would have had', async () => {
    const first = await add('--every', '1h', '--', 'true')
    const refused = await cli('trigger', 'add', '--path', join(work, 'not-there'), '--', 'true')
    expect([refused.code, refused.stderr]).toEqual([2, `taskdeck: --path "${join(work, 'not-there')}": ${join(work, 'not-there')} does not exist.\n`])
    // Refused for its task rather than its trigger: named by the option too.
    const refusedTask = await cli('trigger', 'add', '--every', '1h', '--label', 'x'.repeat(1000), '--', 'true')
    expect(refusedTask.code).toBe(2)
    expect(refusedTask.stderr).toMatch(/^taskdeck: --label "x+": /)
    const next = await add('--every', '1h', '--', 'true')
    expect([next.savedTask.id, next.trigger.id]).toEqual([first.savedTask.id + 1, first.trigger.id + 1])
  })

  it('against a server before API revision 5, trigger add saves its task with a call of its own, and refuses folder events before sending them', async () => {
    const written = readFileSync(apiFilePath(home), 'utf8')
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.networkConditions }), { mode: 0o600 })
    try {
      const { trigger, savedTask } = await add('--every', '1h', '--name', 'older', '--', 'true')
      expect(trigger.savedTaskId).toBe(savedTask.id)
      const before = await stored()
      const folders = await cli('trigger', 'add', '--path', work, '--events', 'addDir', '--', 'true')
      expect([folders.code, folders.stderr]).toEqual([
        3,
        `taskdeck: --events addDir and unlinkDir needs API revision ${API_REVISIONS.triggerAdditions}; the running Taskdeck has ${API_REVISIONS.networkConditions}. ${OLDER_SERVER}\n`,
      ])
      // A refused trigger takes its saved task with it (its id is used up, as that server gives ids).
      expect((await cli('trigger', 'add', '--path', join(work, 'not-there'), '--', 'true')).code).toBe(2)
      expect(await stored()).toEqual({ ...before, exportedAt: expect.any(Number) as unknown })
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
  })

  it('a completion trigger starts its task when the watched task fails', async () => {
    const watched = await cli('add', '-q', '--stash', '--', 'sh', '-c', 'exit 3')
    const watchedId = Number(watched.stdout.trim())
    const { trigger } = await add('--after-task', String(watchedId), '--on', 'failure', '--', 'sh', '-c', 'echo "after $TASKDECK_SOURCE_TASK_ID $TASKDECK_SOURCE_STATUS"')
    expect(trigger.spec).toEqual({ kind: 'completion', when: 'failed', taskId: watchedId })
    expect((await cli('unstash', String(watchedId))).code).toBe(0)
    const [firing] = await firings(trigger.id, 1)
    expect(firing).toMatchObject({ cause: 'completion', outcome: 'submitted' })
    expect((await cli('follow', String(firing?.taskId))).stdout).toBe(`after ${watchedId} failed\n`)
  })

  it('--after-saved-task chains saved tasks: the next one starts when one started from the first ends, and the history says after which', async () => {
    const build = (await cli('saved', 'add', 'build', '--json', '--', 'sh', '-c', 'exit 4')).json<{ savedTask: SavedTask }>().savedTask
    const { trigger } = await add('--after-saved-task', String(build.id), '--on', 'failure', '--', 'sh', '-c', 'echo "after $TASKDECK_SOURCE_TASK_ID $TASKDECK_SOURCE_STATUS"')
    expect(trigger.spec).toEqual({ kind: 'completion', when: 'failed', afterSavedTaskId: build.id })
    expect((await cli('trigger', 'show', String(trigger.id))).stdout).toContain(`when a task of saved task ${build.id} failed`)
    const ran = (await cli('saved', 'run', String(build.id), '--json')).json<{ task: { id: number } }>()
    const [firing] = await firings(trigger.id, 1)
    expect(firing).toMatchObject({ cause: 'completion', outcome: 'submitted', detail: { sourceTaskId: ran.task.id } })
    expect((await cli('follow', String(firing?.taskId))).stdout).toBe(`after ${ran.task.id} failed\n`)
    expect((await cli('trigger', 'history', String(trigger.id))).stdout).toMatch(new RegExp(`completion\\s+submitted\\s+${firing?.taskId}\\s+after task ${ran.task.id} failed\\n`))
    // A saved task that does not exist is refused by name, and the one made for the trigger goes too.
    const before = await stored()
    const missing = await cli('trigger', 'add', '--after-saved-task', '99999', '--', 'true')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe('taskdeck: --after-saved-task: saved task 99999 does not exist.\n')
    const two = await cli('trigger', 'add', '--after-saved-task', String(build.id), '--after-label', 'x', '--', 'true')
    expect(two.stderr).toBe('taskdeck: Give one of --after-task, --after-label and --after-saved-task.\n')
    expect(await stored()).toEqual({ ...before, exportedAt: expect.any(Number) as unknown })
  })

  it('fire and saved run hand --payload JSON to the task (on stdin); a payload that is not JSON starts nothing', async () => {
    const { trigger, savedTask } = await add('--every', '1d', '--paused', '--', 'cat')
    const fired = (await cli('trigger', 'fire', String(trigger.id), '--payload', '{"file":"a b.txt","n":2}', '--json')).json<{ firing: Firing }>().firing
    const firedInput = JSON.parse((await cli('follow', String(fired.taskId))).stdout) as Record<string, unknown>
    expect(firedInput).toMatchObject({ cause: 'manual', trigger: { id: trigger.id }, payload: { file: 'a b.txt', n: 2 } })
    const fromStdin = await runCli(home, ['saved', 'run', String(savedTask.id), '--payload', '-', '--json'], { cwd: work, input: '["x", 1]\n' })
    expect(fromStdin.code, fromStdin.stderr).toBe(0)
    const ranInput = JSON.parse((await cli('follow', String(fromStdin.json<{ task: { id: number } }>().task.id))).stdout) as Record<string, unknown>
    expect(ranInput).toMatchObject({ cause: 'manual', trigger: null, savedTaskId: savedTask.id, payload: ['x', 1] })

    const tasksBefore = (await cli('ls', '--json')).stdout
    for (const args of [['trigger', 'fire', String(trigger.id)], ['saved', 'run', String(savedTask.id)]]) {
      const bad = await cli(...args, '--payload', '{file: 1}')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/^taskdeck: --payload: not valid JSON \(.+\); give JSON, like --payload/)
    }
    expect((await cli('ls', '--json')).stdout).toBe(tasksBefore)
  })

  it('fire and saved run --idempotency-key start one task per key: again, they print that task; a bad key or one another run used is refused by name', async () => {
    const { trigger, savedTask } = await add('--every', '1d', '--paused', '--', 'true')
    const first = await cli('trigger', 'fire', String(trigger.id), '--idempotency-key', 'deploy-1', '--json')
    expect(first.code, first.stderr).toBe(0)
    const { firing } = first.json<{ firing: Firing }>()
    const again = await cli('trigger', 'fire', String(trigger.id), '--idempotency-key', 'deploy-1')
    expect([again.code, again.stdout]).toEqual([0, `Trigger ${trigger.id} already fired for key deploy-1: task ${firing.taskId}.\n`])
    expect((await cli('trigger', 'fire', String(trigger.id), '--idempotency-key', 'deploy-1', '--json')).json<{ firing: Firing; duplicate?: boolean }>()).toEqual({ firing, duplicate: true })
    expect(await firings(trigger.id, 1)).toHaveLength(1)

    const ran = await cli('saved', 'run', String(savedTask.id), '--idempotency-key', 'run-1', '--json')
    const taskId = ran.json<{ task: { id: number } }>().task.id
    const ranAgain = await cli('saved', 'run', String(savedTask.id), '--idempotency-key', 'run-1')
    expect(ranAgain.stdout).toMatch(new RegExp(`^Task ${taskId} already exists for key run-1 \\(\\w+\\): `))

    const tasksBefore = (await cli('ls', '--json')).stdout
    const bad = await cli('trigger', 'fire', String(trigger.id), '--idempotency-key', 'has space')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('taskdeck: --idempotency-key "has space": an idempotency key is printable ASCII without spaces (letters, digits, punctuation).\n')
    const used = await cli('saved', 'run', String(savedTask.id), '--idempotency-key', 'deploy-1')
    expect(used.code).not.toBe(0)
    expect(used.stderr).toContain(`idempotencyKey "deploy-1" was already used for task ${firing.taskId}`)
    expect((await cli('ls', '--json')).stdout).toBe(tasksBefore)

    // Not sent to a server before revision 13, which would refuse the field.
    const written = readFileSync(apiFilePath(home), 'utf8')
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.tty }), { mode: 0o600 })
    try {
      for (const args of [['trigger', 'fire', String(trigger.id)], ['saved', 'run', String(savedTask.id)]]) {
        const older = await cli(...args, '--idempotency-key', 'k-older')
        expect([older.code, older.stderr]).toEqual([3, `taskdeck: --idempotency-key needs API revision ${API_REVISIONS.firingKeys}; the running Taskdeck has ${API_REVISIONS.tty}. ${OLDER_SERVER}\n`])
      }
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
    expect((await cli('ls', '--json')).stdout).toBe(tasksBefore)
  })

  it('catch-up --from runs a schedule\'s slots since then again now (once for them all by default); what it cannot do is refused by name', async () => {
    const { trigger } = await add('--every', '1h', '--', 'true')
    const caught = await cli('trigger', 'catch-up', String(trigger.id), '--from', '2h30m')
    expect(caught.code, caught.stderr).toBe(0)
    // The interval's grid reaches back in whole hours: 2 h and 1 h before it was added, and when it was added.
    expect(caught.stdout).toMatch(new RegExp(`^Trigger ${trigger.id} catches up 3 slots since .+: one task for them all \\(catch-up once\\)\\.\\n`))
    const [firing] = await firings(trigger.id, 1)
    // The newest of them was due just now: the one task runs for it and stands for the 2 missed before.
    expect(firing).toMatchObject({ cause: 'catch-up', outcome: 'submitted', detail: { missed: 2 } })
    expect((await cli('trigger', 'history', String(trigger.id))).stdout).toContain('caught up 2 missed slots')

    // Catch-up all says what it starts: one per slot, at most --max-catch-up, and only the first when one at a time.
    const each = await add('--every', '1h', '--catch-up', 'all', '--max-catch-up', '2', '--paused', '--', 'true')
    await cli('trigger', 'resume', String(each.trigger.id))
    const capped = await cli('trigger', 'catch-up', String(each.trigger.id), '--from', '2h30m')
    expect(capped.stdout).toContain(': one task for each of the last 2; the older ones are only recorded (catch-up all, at most 2).\n')
    const single = await add('--every', '1h', '--catch-up', 'all', '--overlap', 'skip', '--', 'sleep', '30')
    const firstOnly = await cli('trigger', 'catch-up', String(single.trigger.id), '--from', '2h30m')
    expect(firstOnly.stdout).toContain(': one task for the first; the others are recorded as skipped while it runs (catch-up all, one at a time).\n')
    const outcomes = (await firings(single.trigger.id, 3)).map((f) => f.outcome)
    expect(outcomes.filter((o) => o === 'submitted')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'skipped')).toHaveLength(2)
    await cli('kill', '--all')

    const hook = await add('--webhook', '--', 'true')
    for (const [args, code, problem] of [
      [[String(hook.trigger.id), '--from', '1h'], 1, `taskdeck: Trigger ${hook.trigger.id} is a webhook trigger; only schedules have slots to catch up.\n`],
      [[String(trigger.id), '--from', 'yesterday'], 2, 'taskdeck: --from: "yesterday" is neither a duration ago (12h, 2d) nor a date and time (2026-11-21 03:00).\n'],
      [[String(trigger.id), '--from', '2099-01-01 00:00'], 2, 'taskdeck: --from: must be in the past.\n'],
      [[String(trigger.id)], 2, 'taskdeck: trigger catch-up needs --from'],
    ] as const) {
      const refused = await cli('trigger', 'catch-up', ...args)
      expect(refused.code, refused.stderr).toBe(code)
      expect(refused.stderr).toContain(problem)
    }
  })

  it('catch-up --from a date alone means its local midnight, as a date with a time is local time', async () => {
    // Fourteen hours ahead of UTC: UTC's midnight would be 14:00 there.
    const zone = 'Pacific/Kiritimati'
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(Date.now() - 2 * 86_400_000)
    const { trigger } = await add('--every', '1h', '--', 'true')
    const caught = await runCli(home, ['trigger', 'catch-up', String(trigger.id), '--from', date], { cwd: work, env: { TZ: zone } })
    expect(caught.code, caught.stderr).toBe(0)
    expect(caught.stdout).toContain(` since ${date} 00:00:00:`)
  })

  it('history says what each firing stood for: the changed files of a watch', async () => {
    const folder = join(work, 'watched')
    mkdirSync(folder)
    const { trigger } = await add('--path', folder, '--debounce', '100ms', '--', 'true')
    // The watcher is ready once the trigger is listed with its first firing possible; a write before that is retried.
    for (let n = 0; (await cli('trigger', 'history', String(trigger.id), '--json')).json<{ history: Firing[] }>().history.length === 0; n++) {
      writeFileSync(join(folder, `note-${n}.md`), 'x')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const history = await cli('trigger', 'history', String(trigger.id))
    expect(history.stdout).toMatch(new RegExp(`file\\s+submitted\\s+\\d+\\s+\\d+ changed paths? \\((\\d+ add|\\d+ change|, )+\\): ${join(folder, 'note-')}\\d+\\.md`))
  })

  it('refuses bad input with exit 2 naming the problem, and stores nothing', async () => {
    const before = await stored()
    const cases: [string[], string][] = [
      [['--cron', '61 * * * *', '--', 'true'], 'taskdeck: --cron: invalid cron expression "61 * * * *": Invalid value for minute: 61.\n'],
      // A sixth field meant as a year: the message says how six fields are read.
      [
        ['--cron', '0 9 * * 1 2027', '--', 'true'],
        'taskdeck: --cron: invalid cron expression "0 9 * * 1 2027": Invalid value for dayOfWeek: 2027 (6 fields are read as second minute hour day-of-month month day-of-week).\n',
      ],
      // Only the zone is named: the pattern is not refused a second time for it.
      [['--cron', '* * * * *', '--tz', 'Mars/Olympus', '--', 'true'], 'taskdeck: --tz "Mars/Olympus": is not a known IANA time zone.\n'],
      [['--every', 'soon', '--', 'true'], '--every: "soon" is not a duration'],
      [['--path', join(work, 'nope', 'x'), '--', 'true'], `${join(work, 'nope', 'x')} does not exist`],
      [['--accelerator', 'K', '--', 'true'], '--accelerator "K": is not a usable accelerator'],
      [['--every', '999ms', '--', 'true'], '--every: must be at least 1000 ms'],
      [['--after-task', '1', '--on', 'sometimes', '--', 'true'], '--on: "sometimes" is not one of success, failure, finish'],
      [['--', 'true'], 'trigger add needs what starts the task'],
      [['--cron', '* * * * *', '--webhook', '--', 'true'], 'one kind of trigger, not schedule and webhook'],
      [['--every', '1h', '--tz', 'UTC', '--', 'true'], '--tz applies to --cron schedules only'],
      [['--every', '1h'], 'add needs a command'],
      [['--every', '1h', '--saved-task', '1', '--', 'true'], 'not both'],
      // Options that would be stored and never used, or a task that never ends: refused, not kept silently.
      [['--every', '1h', '--max-catch-up', '5', '--', 'true'], 'taskdeck: --max-catch-up applies with --catch-up all only.\n'],
      [['--every', '1h', '--overlap', 'sometimes', '--', 'true'], 'taskdeck: --overlap: "sometimes" is not one of allow, skip.\n'],
      [['--webhook', '--overlap', 'skip', '--', 'true'], 'taskdeck: --overlap applies to schedules (--cron, --every) only.\n'],
      [['--after-task', '99999', '--', 'true'], 'taskdeck: --after-task: there is no task 99999.\n'],
      // System events: a wrong name is refused with the one meant; a file watch's option is not a system trigger's.
      [['--on', 'wake,resume', '--', 'true'], 'taskdeck: --on: "resume" is not one of wake, sleep, ac-power, battery, lock, unlock, online, offline, idle, active (for resume, give wake).\n'],
      [['--on', 'wake', '--events', 'add', '--', 'true'], 'taskdeck: --events applies to --path only.\n'],
    ]
    for (const [args, problem] of cases) {
      const result = await cli('trigger', 'add', ...args)
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toContain(problem)
    }
    const json = await cli('trigger', 'add', '--json', '--cron', 'nonsense', '--', 'true')
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'bad_request' } })
    expect(await stored()).toEqual({ ...before, exportedAt: expect.any(Number) as unknown })
    // Unknown ids read as sentences, without the API's params names (triggerId, savedTaskId).
    for (const [args, message] of [
      [['trigger', 'show', '99999'], 'Trigger 99999 does not exist.'],
      [['trigger', 'fire', '99999'], 'Trigger 99999 does not exist.'],
      [['saved', 'run', '99999'], 'Saved task 99999 does not exist.'],
      [['saved', 'rm', '99999'], 'Saved task 99999 does not exist.'],
    ] as const) {
      const missing = await cli(...args)
      expect(missing.code).toBe(1)
      expect(missing.stderr).toBe(`taskdeck: ${message}\n`)
    }
  })

  it('rm removes the trigger and keeps its saved task unless --with-task', async () => {
    const kept = await add('--every', '1h', '--', 'true')
    const removed = await cli('trigger', 'rm', String(kept.trigger.id))
    expect(removed.stdout).toContain(`saved task ${kept.savedTask.id} is kept`)
    const afterKeep = await stored()
    expect(afterKeep.triggers.map((t) => t.id)).not.toContain(kept.trigger.id)
    expect(afterKeep.savedTasks.map((s) => s.id)).toContain(kept.savedTask.id)

    const gone = await add('--every', '1h', '--', 'true')
    const both = await cli('trigger', 'rm', String(gone.trigger.id), '--with-task', '--json')
    expect(both.json()).toEqual({ removed: gone.trigger.id, removedSavedTask: gone.savedTask.id })
    expect((await stored()).savedTasks.map((s) => s.id)).not.toContain(gone.savedTask.id)
    expect((await cli('trigger', 'show', String(gone.trigger.id))).code).toBe(1)

    // Reuses an existing saved task.
    const reused = await add('--every', '2h', '--saved-task', String(kept.savedTask.id))
    expect(reused.trigger.savedTaskId).toBe(kept.savedTask.id)
  })

  it('export and import round-trip saved tasks and triggers; importing again skips what is already there; a malformed file changes nothing', async () => {
    const file = join(work, 'triggers.json')
    const exported = await cli('trigger', 'export', file)
    expect(exported.code, exported.stderr).toBe(0)
    const document = JSON.parse(readFileSync(file, 'utf8')) as TriggersDocument
    expect(document.format).toBe('taskdeck-triggers')
    expect(document.triggers.length).toBeGreaterThan(3)
    // Where it came from, everything is already there (a shortcut is its own binding, not a clash).
    const again = await cli('trigger', 'import', file)
    expect(again.stderr).toBe('')
    expect(again.stdout).toBe(`Nothing imported: ${document.triggers.length} triggers and ${document.savedTasks.length} saved tasks already present, skipped.\n`)
    expect((await stored()).triggers.length).toBe(document.triggers.length)
    // One removed comes back; the rest are skipped, and said so.
    const [gone] = document.triggers
    await cli('trigger', 'rm', String(gone!.id))
    const imported = await cli('trigger', 'import', file, '--json')
    expect(imported.code, imported.stderr).toBe(0)
    const maps = imported.json<{ savedTasks: { from: number; to: number; existed?: true }[]; triggers: { from: number; to: number; existed?: true }[] }>()
    expect(maps.triggers.map((m) => m.from).sort()).toEqual(document.triggers.map((t) => t.id).sort())
    expect(maps.triggers.filter((m) => m.existed !== true).map((m) => m.from)).toEqual([gone!.id])
    const after = await stored()
    expect(after.triggers.length).toBe(document.triggers.length)
    await cli('trigger', 'rm', String(maps.triggers.find((m) => m.from === gone!.id)!.to))
    expect((await cli('trigger', 'import', file)).stdout).toBe(
      `Imported 1 trigger and 0 saved tasks; ${document.triggers.length - 1} triggers and ${document.savedTasks.length} saved tasks already present, skipped.\n`,
    )

    writeFileSync(join(work, 'broken.json'), '{"format": "taskdeck-triggers", ')
    const broken = await cli('trigger', 'import', join(work, 'broken.json'))
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('is not valid JSON')
    writeFileSync(join(work, 'wrong.json'), JSON.stringify({ ...document, triggers: [{ ...document.triggers[0], spec: { kind: 'schedule', cron: 'bad' } }] }))
    const wrong = await cli('trigger', 'import', join(work, 'wrong.json'))
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('cron')
    expect((await stored()).triggers.length).toBe(after.triggers.length)
  })

  it('saved: add, list, run, discover and import a folder, rm (refused while a trigger starts it)', async () => {
    const added = await cli('saved', 'add', 'greet', '--json', '--env', 'WHO=world', '--', 'sh', '-c', 'echo "hello $WHO"')
    expect(added.code, added.stderr).toBe(0)
    const { savedTask } = added.json<{ savedTask: SavedTask }>()
    expect(savedTask).toMatchObject({ name: 'greet', definition: { spec: { kind: 'shell', command: ['sh', '-c', 'echo "hello $WHO"'], cwd: work, env: { WHO: 'world' } } } })
    const ran = (await cli('saved', 'run', String(savedTask.id), '--json')).json<{ task: { id: number } }>()
    expect((await cli('follow', String(ran.task.id))).stdout).toBe('hello world\n')

    const { trigger } = await add('--every', '1h', '--saved-task', String(savedTask.id))
    const listed = await cli('saved', 'list')
    expect(listed.stdout).toMatch(new RegExp(`\\n${savedTask.id}\\s+greet\\s+${trigger.id}\\s+sh -c`))
    const refused = await cli('saved', 'rm', String(savedTask.id))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`${trigger.id}`)
    await cli('trigger', 'rm', String(trigger.id))
    expect((await cli('saved', 'rm', String(savedTask.id))).code).toBe(0)
    expect((await stored()).savedTasks.map((s) => s.id)).not.toContain(savedTask.id)

    const project = join(work, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', scripts: { build: 'echo building', test: 'echo testing' } }))
    const offered = (await runCli(home, ['saved', 'discover', '--json'], { cwd: project })).json<{ candidates: { name: string; source: string }[] }>()
    expect(offered.candidates.map((c) => c.source)).toEqual(['package.json', 'package.json'])
    const human = await runCli(home, ['saved', 'discover'], { cwd: project })
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+FROM\s+TASK$/)
    const wanted = offered.candidates[0]?.name ?? ''
    const imported = (await cli('saved', 'import', project, '--name', wanted, '--json')).json<{ savedTasks: SavedTask[] }>()
    expect(imported.savedTasks.map((s) => s.name)).toEqual([wanted])
    // A name the folder does not offer is refused with the names it does.
    const unoffered = await cli('saved', 'import', project, '--name', 'test')
    expect(unoffered.code).toBe(2)
    expect(unoffered.stderr).toBe(`taskdeck: --name: ${project} offers no task "test" (it offers "npm run build", "npm run test").\n`)
    const missing = await cli('saved', 'discover', join(work, 'no-such-folder'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no-such-folder')
  })

  it('--help shows every kind with examples', async () => {
    const help = await cli('trigger', 'add', '--help')
    expect(help.code).toBe(0)
    for (const option of ['--cron', '--tz', '--every', '--catch-up', '--path', '--debounce', '--webhook', '--secret-stdin', '--accelerator', '--after-task', '--on']) expect(help.stdout).toContain(option)
    expect(help.stdout).toContain("taskdeck trigger add --cron '30 9 * * 1-5' --tz Europe/Berlin")
    expect((await cli('trigger', '--help')).stdout).toContain('history')
  })
})
