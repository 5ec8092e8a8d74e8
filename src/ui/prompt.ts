/**
 * The UI's prompters implement core's Prompter and also accept the short positional style
 * (`initial` / `validate`), which the UI's own tests use.
 */
import type {
  Choice,
  ConfirmOptions,
  Prompter as CorePrompter,
  SelectOptions,
  TextOptions,
} from '../core/prompt.js';

export type { AskOptions, Choice, ConfirmOptions, SelectOptions, TextOptions } from '../core/prompt.js';
/** What the UI's prompters implement: core's Prompter, plus the short positional style. */
export interface Prompter extends CorePrompter {
  select<T>(question: string, choices: Choice<T>[], options?: number | SelectOptions<T>): Promise<T>;
  confirm(question: string, options?: boolean | ConfirmOptions): Promise<boolean>;
  text(question: string, options?: TextOptions | ((answer: string) => string | undefined)): Promise<string>;
}

/** Flag shown when a caller still uses the positional style and so named none. */
const UNNAMED_FLAG = '';

export function selectOptions<T>(options: number | SelectOptions<T> | undefined): SelectOptions<T> {
  if (typeof options === 'object') return options;
  return options === undefined ? { flag: UNNAMED_FLAG } : { flag: UNNAMED_FLAG, initial: options };
}

export function confirmOptions(options: boolean | ConfirmOptions | undefined): ConfirmOptions {
  if (typeof options === 'object') return options;
  return options === undefined ? { flag: UNNAMED_FLAG } : { flag: UNNAMED_FLAG, initial: options };
}

export function textOptions(
  options: TextOptions | ((answer: string) => string | undefined) | undefined,
): TextOptions {
  if (typeof options === 'object') return options;
  return options === undefined ? { flag: UNNAMED_FLAG } : { flag: UNNAMED_FLAG, validate: options };
}

/** Index to pre-select: explicit initial, else the default's position, else the first choice. */
export function initialIndex<T>(choices: Choice<T>[], options: SelectOptions<T>): number {
  if (options.initial !== undefined && options.initial >= 0 && options.initial < choices.length) return options.initial;
  if (options.defaultWithoutTty !== undefined) {
    const index = choices.findIndex((choice) => Object.is(choice.value, options.defaultWithoutTty));
    if (index >= 0) return index;
  }
  return 0;
}
