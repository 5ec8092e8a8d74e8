/**
 * The interactive UI's view model: a pure reducer from RunEvents (and the prompter's questions) to
 * what the screen shows, plus a tiny store the ink App subscribes to. No ink here.
 *
 * `finished` only ever grows (it feeds ink's <Static>, which prints each item once); what is still
 * moving — running steps, open questions — lives beside it and is re-rendered.
 */
import type { ErrorView } from '../core/errors.js';
import type { CheckResult, DryRunChange, PullProgress, RunEvent, RunEventBody, SummaryLine } from '../core/events.js';
import type { Choice } from './prompt.js';

export type StepStatus = 'running' | 'success' | 'fail' | 'skip';

export interface WarningView {
  stepId?: string;
  message: string;
  hint?: string;
}

export interface StepView {
  id: string;
  title: string;
  status: StepStatus;
  /** Epoch ms of step-start, from its timestamp. */
  startedAt?: number;
  durationMs?: number;
  detail?: string;
  reason?: string;
  error?: ErrorView;
  /** Latest progress message and pull state; cleared when the step ends. */
  message?: string;
  pull?: PullProgress;
  checks: CheckResult[];
  warnings: WarningView[];
  /** A dry run: what this step would have changed. */
  changes?: DryRunChange[];
}

export type Entry =
  | { kind: 'step'; key: number; step: StepView }
  | { kind: 'warning'; key: number; warning: WarningView }
  | { kind: 'check'; key: number; stepId: string; check: CheckResult }
  | { kind: 'undo'; key: number; title: string; ok: boolean; message?: string }
  | { kind: 'answer'; key: number; question: string; answer: string }
  /** A dry run's header, and a change recorded outside any running step. */
  | { kind: 'dry-run'; key: number }
  | { kind: 'change'; key: number; change: DryRunChange };

interface PromptBase {
  id: number;
  question: string;
  /** The flag that answers this question on the command line ('' when the caller named none). */
  flag: string;
  reject(error: unknown): void;
}

export type PromptRequest =
  | (PromptBase & { kind: 'select'; choices: Choice<unknown>[]; initial: number; resolve(value: unknown): void })
  | (PromptBase & { kind: 'confirm'; initial?: boolean; resolve(value: boolean): void })
  | (PromptBase & {
      kind: 'text';
      initial?: string;
      validate?: (answer: string) => string | undefined;
      resolve(value: string): void;
    });

export interface SummaryView {
  title: string;
  lines: SummaryLine[];
  next: string[];
}

export interface EndView {
  ok: boolean;
  exitCode: number;
  durationMs: number;
  error?: ErrorView;
  leftInPlace: string[];
  dryRun?: { changes: number };
}

export interface ViewState {
  command?: string;
  finished: Entry[];
  running: StepView[];
  /** Open questions, oldest first; the UI shows the first. */
  prompts: PromptRequest[];
  summary?: SummaryView;
  end?: EndView;
  nextKey: number;
}

export type Action =
  | { kind: 'event'; event: RunEvent }
  | { kind: 'ask'; prompt: PromptRequest }
  | { kind: 'answered'; id: number; answer: string }
  | { kind: 'drop-prompts' };

export const initialState = (): ViewState => ({ finished: [], running: [], prompts: [], nextKey: 0 });

/** Entries for the <Static> list, each with a fresh key. */
type NewEntry = Entry extends infer E ? (E extends unknown ? Omit<E, 'key'> : never) : never;

function append(state: ViewState, ...entries: NewEntry[]): ViewState {
  let key = state.nextKey;
  const added = entries.map((entry) => ({ ...entry, key: key++ }) as Entry);
  return { ...state, finished: [...state.finished, ...added], nextKey: key };
}

function updateRunning(state: ViewState, id: string, update: (step: StepView) => StepView): ViewState | undefined {
  const index = state.running.findIndex((step) => step.id === id);
  const step = state.running[index];
  if (step === undefined) return undefined;
  const running = [...state.running];
  running[index] = update(step);
  return { ...state, running };
}

/** Ends a step: takes it out of `running` (or makes it from the event) and appends it to `finished`. */
function finish(state: ViewState, id: string, title: string, end: Partial<StepView> & { status: StepStatus }): ViewState {
  const existing = state.running.find((step) => step.id === id);
  const base: StepView = existing ?? { id, title, status: 'running', checks: [], warnings: [] };
  const { message: _message, pull: _pull, ...kept } = base;
  const step: StepView = { ...kept, title, ...end };
  return append({ ...state, running: state.running.filter((s) => s.id !== id) }, { kind: 'step', step });
}

export function reduceEvent(state: ViewState, event: RunEventBody & { timestamp?: string }): ViewState {
  switch (event.type) {
    case 'command-start':
      return event.dryRun ? append({ ...state, command: event.command }, { kind: 'dry-run' }) : { ...state, command: event.command };
    case 'would-change': {
      const owner = event.stepId ?? state.running.at(-1)?.id;
      const attached =
        owner === undefined ? undefined : updateRunning(state, owner, (step) => ({ ...step, changes: [...(step.changes ?? []), event.change] }));
      return attached ?? append(state, { kind: 'change', change: event.change });
    }
    case 'step-start': {
      const startedAt = event.timestamp === undefined ? undefined : Date.parse(event.timestamp);
      const step: StepView = {
        id: event.id,
        title: event.title,
        status: 'running',
        ...(startedAt === undefined || Number.isNaN(startedAt) ? {} : { startedAt }),
        checks: [],
        warnings: [],
      };
      return { ...state, running: [...state.running.filter((s) => s.id !== event.id), step] };
    }
    case 'step-progress':
      return (
        updateRunning(state, event.id, (step) => {
          const { pull: _pull, ...rest } = step;
          return { ...rest, message: event.message, ...(event.pull ? { pull: event.pull } : {}) };
        }) ?? state
      );
    case 'step-success':
      return finish(state, event.id, event.title, {
        status: 'success',
        durationMs: event.durationMs,
        ...(event.detail === undefined ? {} : { detail: event.detail }),
      });
    case 'step-skip':
      return finish(state, event.id, event.title, { status: 'skip', reason: event.reason });
    case 'step-fail':
      return finish(state, event.id, event.title, { status: 'fail', durationMs: event.durationMs, error: event.error });
    case 'check':
      return (
        updateRunning(state, event.stepId, (step) => ({ ...step, checks: [...step.checks, event.check] })) ??
        append(state, { kind: 'check', stepId: event.stepId, check: event.check })
      );
    case 'warning': {
      const { type: _type, timestamp: _timestamp, ...warning } = event;
      // Shown under its step (or the step running now), else on its own line.
      const owner = event.stepId ?? state.running.at(-1)?.id;
      const attached =
        owner === undefined
          ? undefined
          : updateRunning(state, owner, (step) => ({ ...step, warnings: [...step.warnings, warning] }));
      return attached ?? append(state, { kind: 'warning', warning });
    }
    case 'undo':
      return append(state, {
        kind: 'undo',
        title: event.title,
        ok: event.ok,
        ...(event.message === undefined ? {} : { message: event.message }),
      });
    case 'summary':
      return { ...state, summary: { title: event.title, lines: event.lines, next: event.next } };
    case 'command-end': {
      const { type: _type, timestamp: _timestamp, ...end } = event;
      return { ...state, end };
    }
  }
}

export function reduce(state: ViewState, action: Action): ViewState {
  switch (action.kind) {
    case 'event':
      return reduceEvent(state, action.event);
    case 'ask':
      return { ...state, prompts: [...state.prompts, action.prompt] };
    case 'answered': {
      const prompt = state.prompts.find((p) => p.id === action.id);
      if (prompt === undefined) return state;
      const rest = { ...state, prompts: state.prompts.filter((p) => p.id !== action.id) };
      return append(rest, { kind: 'answer', question: prompt.question, answer: action.answer });
    }
    case 'drop-prompts':
      return state.prompts.length === 0 ? state : { ...state, prompts: [] };
  }
}

export interface EventStore {
  getState(): ViewState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

export function createEventStore(state: ViewState = initialState()): EventStore {
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
