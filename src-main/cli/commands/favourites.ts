import {
  addFavourite,
  changeFavourites,
  displayAccelerator,
  favouriteAccelerator,
  MAX_FAVOURITES,
  moveFavouriteTo,
  removeFavourite,
  type FavouriteChange,
  type FavouriteProblem,
} from '../../../src-shared/favourites.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import type { Task } from '../../../src-shared/model.ts'
import type { ApiClient } from '../client.ts'
import type { Context } from '../context.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { parseIds, parseInteger, table } from '../format.ts'

/**
 * `taskdeck favourite …`: favourites 1–9 (`settings.favourites`, task ids whose definition the
 * tray and the global shortcuts run again), as the UI's star and Settings → Favourites set them.
 * settings.set replaces the favourites list whole: each change reads the list, changes it and
 * writes it back with the list it read as `expect.favourites`, so a change another client made
 * in between is refused rather than lost; the change is then applied once more to the list as it
 * is (changeFavourites). A server before API revision 11 takes no expectation: the last writer wins.
 */

const refused = (message: string): CliError => new CliError(EXIT.failed, 'conflict', message)
const taskIdOf = (text: string): number => parseIds([text])[0] ?? 0

async function current(client: ApiClient): Promise<number[]> {
  return [...(await client.invoke('settings.get', {})).settings.favourites]
}

/**
 * Reads the favourites, applies `change` and writes the list with what it was made from; on a refusal because the list
 * changed meanwhile, reads it again and applies `change` once more. `refusal` words a change the list (now) does not allow.
 */
async function changeList(client: ApiClient, change: (favourites: readonly number[]) => FavouriteChange, refusal: (problem: FavouriteProblem, favourites: readonly number[]) => CliError): Promise<number[]> {
  const checked = client.hasRevision(API_REVISIONS.settingsExpect)
  const outcome = await changeFavourites<never>(await current(client), change, async (next, expected) => {
    try {
      const params = { patch: { favourites: next }, ...(checked ? { expect: { favourites: [...expected] } } : {}) }
      return { saved: (await client.invoke('settings.set', params)).settings.favourites }
    } catch (error) {
      if (error instanceof CliError && error.code === 'conflict' && error.details?.setting === 'favourites') return { changed: await current(client) }
      throw error
    }
  })
  switch (outcome.kind) {
    case 'saved':
      return outcome.favourites
    case 'refused':
      throw refusal(outcome.problem, outcome.favourites)
    case 'changed':
      throw refused(
        `The favourites changed twice while this change was made (another window or command is changing them now); nothing was changed. They are now: ${outcome.favourites.join(', ') || 'none'}. Run the command again.`,
      )
    case 'failed':
      return outcome.failure
  }
}

const notFavourite = (taskId: number): CliError => refused(`Task ${taskId} is not a favourite (see \`taskdeck favourite list\`).`)

/** The task a TASK argument names: a task id, or the one task with that name (several are refused, naming them). */
async function resolveTask(client: ApiClient, text: string): Promise<Task> {
  if (/^\d+$/.test(text.trim())) return (await client.invoke('task.get', { taskId: taskIdOf(text) })).task
  const { tasks } = await client.invoke('task.list', { text, limit: 100_000 })
  const named = tasks.filter((task) => task.name === text)
  if (named.length === 0) throw refused(`There is no task named "${text}" (give a task id, or a name from \`taskdeck status\`).`)
  if (named.length > 1) throw refused(`Several tasks are named "${text}": ${named.map((task) => task.id).join(', ')}; give one of their ids.`)
  return named[0]!
}

export async function listFavourites(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const { settings } = await client.invoke('settings.get', {})
  const tasks = await Promise.all(
    settings.favourites.map(async (taskId) => {
      try {
        return (await client.invoke('task.get', { taskId })).task
      } catch {
        return null
      }
    }),
  )
  const favourites = settings.favourites.map((taskId, index) => ({
    position: index + 1,
    taskId,
    name: tasks[index]?.name ?? null,
    shortcut: favouriteAccelerator(index, settings.globalShortcuts) || null,
  }))
  ctx.print({ favourites }, () =>
    favourites.length === 0
      ? 'No favourites. Add one with `taskdeck favourite add TASK` (a task id or name).'
      : table(
          ['#', 'TASK', 'NAME', 'SHORTCUT'],
          favourites.map((favourite) => [String(favourite.position), String(favourite.taskId), favourite.name ?? '(task removed)', favourite.shortcut ? displayAccelerator(favourite.shortcut, process.platform === 'darwin') : '-']),
        ),
  )
}

export async function addFavouriteTask(ctx: Context, text: string): Promise<void> {
  const client = await ctx.connect()
  const task = await resolveTask(client, text)
  const saved = await changeList(
    client,
    (favourites) => addFavourite(favourites, task.id, () => true),
    (problem, favourites) => {
      if (problem === 'duplicate') return refused(`Task ${task.id} (${task.name}) is already favourite ${favourites.indexOf(task.id) + 1}.`)
      if (problem === 'full') return refused(`There are already ${MAX_FAVOURITES} favourites (at most ${MAX_FAVOURITES}): remove one first with \`taskdeck favourite rm ID\`.`)
      return usageError(`task "${text}" cannot be a favourite.`)
    },
  )
  ctx.print({ favourites: saved }, () => `Task ${task.id} (${task.name}) is favourite ${saved.indexOf(task.id) + 1}.`)
}

export async function removeFavouriteTask(ctx: Context, text: string): Promise<void> {
  const taskId = taskIdOf(text)
  const client = await ctx.connect()
  const saved = await changeList(
    client,
    (favourites) => (favourites.includes(taskId) ? { ok: true, favourites: removeFavourite(favourites, taskId) } : { ok: false, problem: 'absent' }),
    () => notFavourite(taskId),
  )
  ctx.print({ favourites: saved }, () => `Task ${taskId} is no longer a favourite.`)
}

export async function moveFavouriteTask(ctx: Context, text: string, positionText: string): Promise<void> {
  const taskId = taskIdOf(text)
  const position = parseInteger(positionText, 'position', 1, MAX_FAVOURITES)
  const client = await ctx.connect()
  const saved = await changeList(
    client,
    (favourites) =>
      !favourites.includes(taskId)
        ? { ok: false, problem: 'absent' }
        : position > favourites.length
          ? { ok: false, problem: 'invalid' }
          : { ok: true, favourites: moveFavouriteTo(favourites, taskId, position - 1) },
    (problem, favourites) =>
      problem === 'absent' ? notFavourite(taskId) : usageError(`position: "${positionText}" is not a whole number from 1 to ${favourites.length} (there are ${favourites.length} favourites).`),
  )
  ctx.print({ favourites: saved }, () => `Task ${taskId} is favourite ${position}.`)
}
