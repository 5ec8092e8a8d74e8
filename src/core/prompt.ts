/**
 * Questions a step may ask. Each names the flag that answers it on the command line: interactive
 * front ends ask; the non-interactive prompter uses `defaultWithoutTty` (reported as a warning) or
 * fails with an error naming the flag, so nothing ever blocks without a TTY.
 */
export interface Choice<T> {
  label: string;
  value: T;
  description?: string;
}

export interface AskOptions<T> {
  /** The flag that answers this question without a prompt, e.g. '--advertise-address'. */
  flag: string;
  /** Without a terminal, answer with this instead of failing. */
  defaultWithoutTty?: T;
}

export interface SelectOptions<T> extends AskOptions<T> {
  /** Index of the pre-selected choice; else the choice equal to defaultWithoutTty; else 0. */
  initial?: number;
}

export interface ConfirmOptions extends AskOptions<boolean> {
  /** The answer Enter gives. */
  initial?: boolean;
}

export interface TextOptions extends AskOptions<string> {
  initial?: string;
  /** Returns an error message for an answer that is not acceptable, else undefined. */
  validate?: (answer: string) => string | undefined;
}

export interface Prompter {
  readonly interactive: boolean;
  select<T>(question: string, choices: Choice<T>[], options: SelectOptions<T>): Promise<T>;
  confirm(question: string, options: ConfirmOptions): Promise<boolean>;
  text(question: string, options: TextOptions): Promise<string>;
}
