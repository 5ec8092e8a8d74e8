/**
 * The interactive Prompter: each question goes into the store, the App shows it, and the promise
 * resolves when the operator answers (or rejects with `interrupted` on Ctrl-C / close).
 */
import { IgniteError } from '../../core/errors.js';
import type { EventStore } from '../event-store.js';
import { confirmOptions, initialIndex, selectOptions, textOptions } from '../prompt.js';
import type { Choice, ConfirmOptions, Prompter, SelectOptions, TextOptions } from '../prompt.js';

export function createInkPrompter(store: EventStore): Prompter {
  let nextId = 0;
  return {
    interactive: true,

    select<T>(question: string, choices: Choice<T>[], raw?: number | SelectOptions<T>): Promise<T> {
      const ask = selectOptions(raw);
      if (choices.length === 0) {
        return Promise.reject(new IgniteError('bug', `nothing to choose from for "${question}"`));
      }
      return new Promise<T>((resolve, reject) => {
        store.dispatch({
          kind: 'ask',
          prompt: {
            id: nextId++,
            kind: 'select',
            question,
            flag: ask.flag,
            choices,
            initial: initialIndex(choices, ask),
            // The prompt hands back one of `choices`' values, which are T; the store holds them as unknown.
            resolve: resolve as (value: unknown) => void,
            reject,
          },
        });
      });
    },

    confirm(question: string, raw?: boolean | ConfirmOptions): Promise<boolean> {
      const ask = confirmOptions(raw);
      return new Promise<boolean>((resolve, reject) => {
        store.dispatch({
          kind: 'ask',
          prompt: {
            id: nextId++,
            kind: 'confirm',
            question,
            flag: ask.flag,
            ...(ask.initial === undefined ? {} : { initial: ask.initial }),
            resolve,
            reject,
          },
        });
      });
    },

    text(question: string, raw?: TextOptions | ((answer: string) => string | undefined)): Promise<string> {
      const ask = textOptions(raw);
      return new Promise<string>((resolve, reject) => {
        store.dispatch({
          kind: 'ask',
          prompt: {
            id: nextId++,
            kind: 'text',
            question,
            flag: ask.flag,
            ...(ask.initial === undefined ? {} : { initial: ask.initial }),
            ...(ask.validate === undefined ? {} : { validate: ask.validate }),
            resolve,
            reject,
          },
        });
      });
    },
  };
}
