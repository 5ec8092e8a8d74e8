/**
 * Questions a step may ask. Interactive front ends answer them; the non-interactive prompter
 * refuses with an error that names the flag to pass instead, so nothing ever blocks without a TTY.
 */
export interface Choice<T> {
  label: string;
  value: T;
  description?: string;
}

export interface Prompter {
  readonly interactive: boolean;
  select<T>(question: string, choices: Choice<T>[], initial?: number): Promise<T>;
  confirm(question: string, initial?: boolean): Promise<boolean>;
  text(question: string, validate?: (answer: string) => string | undefined): Promise<string>;
}
