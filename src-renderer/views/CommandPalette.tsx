import { useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react'
import { useTranslation } from 'react-i18next'
import { COMMAND_IDS, displayBinding, type CommandId } from '../streams/keymap.ts'
import { fuzzyScore } from '../streams/tasks-query.ts'
import { rankPaletteEntries } from '../streams/palette.ts'
import { Kbd } from '../components/common.tsx'
import { IS_MAC, useKeymap, useModel, useStore } from './context.ts'

interface Entry {
  id: string
  title: string
  /** The English title too, when the UI is in another language: many type command names in English. */
  alias?: string
  shortcut: string
  run: () => void
}

/** Ctrl/Cmd+K: every command with its shortcut, fuzzy-filtered, plus "open task" for #n or tasks found by name. */
export function CommandPalette({ run }: { run: (id: CommandId) => void }) {
  const model = useModel()
  const open = useStore(model.paletteOpen)
  if (!open) return null
  return <PaletteDialog run={run} close={() => model.paletteEvents.next({ kind: 'close' })} />
}

/** How well the typed text matches an entry's title or its English alias (null: not at all). */
function bestScore(text: string, entry: Entry): number | null {
  const scores = [fuzzyScore(text, entry.title), entry.alias ? fuzzyScore(text, entry.alias) : null].filter((s): s is number => s !== null)
  return scores.length === 0 ? null : Math.max(...scores)
}

/** The palette lists at most this many tasks found by name. */
const TASKS_BY_NAME = 8

/**
 * The newest tasks whose name contains the typed text (case-insensitive), at most TASKS_BY_NAME: a plain
 * substring rather than the commands' fuzzy match, so that one keystroke stays cheap with 100,000 tasks and
 * what is listed is plainly what was typed.
 */
function tasksNamed(text: string, tasks: Iterable<{ id: number; name: string }>): { id: number; name: string }[] {
  const wanted = text.trim().toLocaleLowerCase()
  if (wanted.length < 2) return []
  // The state's map holds tasks oldest first: keep the last matches seen, without copying the map.
  const found: { id: number; name: string }[] = []
  for (const task of tasks) {
    if (!task.name.toLocaleLowerCase().includes(wanted)) continue
    if (found.length === TASKS_BY_NAME) found.shift()
    found.push(task)
  }
  return found.reverse()
}

/**
 * Gives the keyboard back, when the dialog closes, to what had it when the dialog opened, unless
 * the command chosen moved it elsewhere (the search field, the new-task input).
 */
function useReturnFocus(dialogRef: RefObject<HTMLElement | null>) {
  // Read while rendering: by the time effects run, the dialog's input has taken the focus.
  const [opener] = useState(() => document.activeElement)
  useLayoutEffect(() => {
    return () => {
      const now = document.activeElement
      const stillOurs = now === null || now === document.body || (dialogRef.current?.contains(now) ?? false)
      if (stillOurs && opener instanceof HTMLElement && opener !== document.body && opener.isConnected) opener.focus()
    }
  }, [dialogRef, opener])
}

function PaletteDialog({ run, close }: { run: (id: CommandId) => void; close: () => void }) {
  const { t, i18n } = useTranslation()
  const model = useModel()
  const keymap = useKeymap()
  const english = useMemo(() => (i18n.resolvedLanguage === 'en' ? null : i18n.getFixedT('en')), [i18n, i18n.resolvedLanguage])
  const step = useStore(model.paletteStep)
  const groups = useStore(model.state).groups
  const view = useStore(model.route).view
  const [text, setText] = useState('')
  const [index, setIndex] = useState(0)
  // A second step starts with an empty field and the first option.
  const stepKey = step.kind === 'pick-group' ? step.command : step.kind
  const [shownStep, setShownStep] = useState(stepKey)
  if (shownStep !== stepKey) {
    setShownStep(stepKey)
    setText('')
    setIndex(0)
  }
  const listRef = useRef<HTMLUListElement>(null)
  const dialogRef = useRef<HTMLDivElement>(null)
  useReturnFocus(dialogRef)

  const commands = useMemo(
    () =>
      COMMAND_IDS.filter((id) => id !== 'palette.open').map((id): Entry => {
        const binding = keymap.find((k) => k.command === id)?.binding
        return { id, title: t(`command.${id}`), alias: english?.(`command.${id}`), shortcut: binding ? displayBinding(binding, IS_MAC) : '', run: () => run(id) }
      }),
    [keymap, t, english, run],
  )
  /** The second step of "Pause group…" / "Resume group…": the groups it can act on. */
  const groupEntries = useMemo((): Entry[] | null => {
    if (step.kind !== 'pick-group') return null
    const wantPaused = step.command === 'group.resume'
    return [...groups.values()]
      .filter((group) => group.paused === wantPaused)
      .map((group) => ({ entry: { id: `group-${group.name}`, title: group.name, shortcut: '', run: () => model.paletteEvents.next({ kind: 'choose-group', name: group.name }) }, score: fuzzyScore(text, group.name) }))
      .filter((x): x is { entry: Entry; score: number } => text.trim() === '' || x.score !== null)
      .sort((a, b) => (text.trim() === '' ? a.entry.title.localeCompare(b.entry.title) : (b.score ?? 0) - (a.score ?? 0)))
      .map((x) => x.entry)
  }, [step, groups, text, model])
  const commandEntries = useMemo(() => {
    const all = [...commands]
    const openTask = (taskId: number, name: string): Entry => ({
      id: `open-${taskId}`,
      title: t('palette.openTask', { id: taskId, name }),
      shortcut: '',
      run: () => model.route.set({ view: 'task', taskId }),
    })
    const taskNumber = /^#?(\d+)$/.exec(text.trim())
    if (taskNumber) {
      const taskId = Number(taskNumber[1])
      const task = model.state.value.tasks.get(taskId)
      if (task) all.unshift(openTask(taskId, task.name))
    }
    const byName = taskNumber ? [] : tasksNamed(text, model.state.value.tasks.values()).map((task) => openTask(task.id, task.name))
    const scored = all
      .map((entry) => ({ entry, score: taskNumber && entry.id.startsWith('open-') ? 1000 : bestScore(text, entry) }))
      // Tasks found by name come after the commands that match: the palette is for commands first.
      .concat(byName.map((entry) => ({ entry, score: -1 })))
      .filter((x): x is { entry: Entry; score: number } => x.score !== null)
    // The current view's commands first when the field is empty, and ahead of equal matches while typing.
    return rankPaletteEntries(scored, view)
  }, [commands, t, text, model, view])
  const entries = groupEntries ?? commandEntries

  const choose = (entry: Entry | undefined) => {
    if (!entry) return
    // A group chosen, or a command that asks for one, moves the palette on (or closes it) itself.
    if (step.kind === 'pick-group' || entry.id === 'group.pause' || entry.id === 'group.resume') return entry.run()
    close()
    entry.run()
  }
  const title = step.kind === 'pick-group' ? t(`queue.pickGroup.${step.command}`) : t('palette.title')
  const selected = Math.min(index, Math.max(0, entries.length - 1))

  return (
    <div className="palette-backdrop" onMouseDown={close}>
      <div ref={dialogRef} className="palette" role="dialog" aria-modal="true" aria-label={title} onMouseDown={(e) => e.stopPropagation()}>
        <input
          autoFocus
          className="palette-input"
          aria-label={title}
          role="combobox"
          aria-expanded={entries.length > 0}
          aria-controls="palette-list"
          aria-activedescendant={entries[selected] ? `palette-${entries[selected].id}` : undefined}
          placeholder={step.kind === 'pick-group' ? title : t('palette.placeholder')}
          value={text}
          onChange={(e) => {
            setText(e.target.value)
            setIndex(0)
          }}
          onKeyDown={(e) => {
            e.stopPropagation()
            if (e.key === 'Tab') {
              // The input is the dialog's only stop (the options are its active descendants): Tab stays in the dialog.
              e.preventDefault()
            } else if (e.key === 'Escape' || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k')) {
              e.preventDefault()
              close()
            } else if (e.key === 'ArrowDown' || (e.ctrlKey && e.key === 'j')) {
              e.preventDefault()
              setIndex((i) => Math.min(entries.length - 1, i + 1))
            } else if (e.key === 'ArrowUp' || (e.ctrlKey && e.key === 'k')) {
              e.preventDefault()
              setIndex((i) => Math.max(0, i - 1))
            } else if (e.key === 'Backspace' && text === '' && step.kind === 'pick-group') {
              e.preventDefault()
              model.paletteEvents.next({ kind: 'back' })
            } else if (e.key === 'Enter') {
              e.preventDefault()
              choose(entries[selected])
            }
          }}
        />
        {/* Outside the listbox (which holds options only), and said once as the list empties. */}
        {entries.length === 0 && (
          <p className="palette-empty" role="status">
            {step.kind === 'pick-group' ? t('queue.noGroups') : t('palette.nothing')}
          </p>
        )}
        <ul className="palette-list" id="palette-list" role="listbox" aria-label={title} ref={listRef} hidden={entries.length === 0}>
          {entries.map((entry, i) => (
            <li
              key={entry.id}
              id={`palette-${entry.id}`}
              role="option"
              aria-selected={i === selected}
              className={i === selected ? 'selected' : ''}
              // The pointer chooses only when it moves: the browser also says it "entered" an option that opened or
              // scrolled under a resting pointer, which would take the choice from the first match (and Enter with it).
              onPointerMove={(e) => {
                if (e.movementX !== 0 || e.movementY !== 0) setIndex(i)
              }}
              onClick={() => choose(entry)}
              ref={i === selected ? (el) => el?.scrollIntoView({ block: 'nearest' }) : undefined}
            >
              <span>{entry.title}</span>
              {entry.shortcut && <Kbd>{entry.shortcut}</Kbd>}
            </li>
          ))}
        </ul>
      </div>
    </div>
  )
}
