/**
 * The prompter for scripts, CI and --json: it never waits for an answer. A question with a
 * `defaultWithoutTty` gets that answer (and the caller is told, so it can be reported); any other
 * question fails at once with a usage error that names the flag to pass instead (cli-kit's rule).
 */
import { IgniteError } from '../core/errors.js';
import type { RunEventBody } from '../core/events.js';
import { confirmOptions, selectOptions, textOptions } from './prompt.js';
import type { AskOptions, Choice, ConfirmOptions, Prompter, SelectOptions, TextOptions } from './prompt.js';

export interface DefaultAnswer {
  question: string;
  flag: string;
  /** The answer as the operator would read it (a choice's label, yes/no, the text). */
  answer: string;
}

export interface NonInteractivePrompterOptions {
  /** Called whenever a question is answered by its defaultWithoutTty. */
  onDefault?: (answer: DefaultAnswer) => void;
  /** Why nobody can be asked; ends the error message. */
  reason?: string;
}

const isScalar = (value: unknown): value is string | number =>
  typeof value === 'string' || typeof value === 'number';

export function createNonInteractivePrompter(options: NonInteractivePrompterOptions = {}): Prompter {
  const reason = options.reason ?? 'there is no terminal to answer it';

  function refuse(question: string, ask: AskOptions<unknown>, hint: string, details: string[] = []): IgniteError {
    return new IgniteError('usage', `cannot ask "${question}": ${reason}`, {
      hint: ask.flag === '' ? 'Run the command in a terminal to answer it, or pass the matching option.' : hint,
      details,
    });
  }

  function answered<T>(question: string, ask: AskOptions<T>, answer: string, value: T): T {
    options.onDefault?.({ question, flag: ask.flag, answer });
    return value;
  }

  return {
    interactive: false,

    async select<T>(question: string, choices: Choice<T>[], raw?: number | SelectOptions<T>): Promise<T> {
      const ask = selectOptions(raw);
      if (ask.defaultWithoutTty !== undefined) {
        const value = ask.defaultWithoutTty;
        const choice = choices.find((c) => Object.is(c.value, value));
        return answered(question, ask, choice?.label ?? String(value), value);
      }
      const values = choices.map((c) => c.value);
      const hint = values.every(isScalar)
        ? `Pass ${ask.flag} with one of: ${values.map(String).join(', ')}.`
        : `Pass ${ask.flag} to choose.`;
      const details = choices.map((c) => (c.description ? `${c.label} — ${c.description}` : c.label));
      throw refuse(question, ask, hint, details);
    },

    async confirm(question: string, raw?: boolean | ConfirmOptions): Promise<boolean> {
      const ask = confirmOptions(raw);
      if (ask.defaultWithoutTty !== undefined) {
        return answered(question, ask, ask.defaultWithoutTty ? 'yes' : 'no', ask.defaultWithoutTty);
      }
      throw refuse(question, ask, `Pass ${ask.flag} to answer it without a prompt.`);
    },

    async text(question: string, raw?: TextOptions | ((answer: string) => string | undefined)): Promise<string> {
      const ask = textOptions(raw);
      if (ask.defaultWithoutTty !== undefined) {
        return answered(question, ask, ask.defaultWithoutTty, ask.defaultWithoutTty);
      }
      throw refuse(question, ask, `Pass ${ask.flag} <value> to answer it without a prompt.`);
    },
  };
}

/** The warning a reporter shows when a default answered a question. */
export function defaultAnswerWarning(answer: DefaultAnswer): { message: string; hint?: string } {
  return {
    message: `no terminal to ask "${answer.question}"; using ${answer.answer}`,
    ...(answer.flag === '' ? {} : { hint: `pass ${answer.flag} to choose` }),
  };
}

/**
 * Which step is running, from the events seen; the prompter is shared by all steps, so a warning
 * about a default answer gets its step from here.
 */
export function stepTracker(): { see(event: RunEventBody): void; owner(): { stepId?: string } } {
  let running: string | undefined;
  return {
    see(event) {
      if (event.type === 'step-start') running = event.id;
      else if ((event.type === 'step-success' || event.type === 'step-fail' || event.type === 'step-skip') && event.id === running) {
        running = undefined;
      }
    },
    owner: () => (running === undefined ? {} : { stepId: running }),
  };
}
