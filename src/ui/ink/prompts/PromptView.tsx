import { interruptedError } from '../../../core/errors.js';
import type { EventStore, PromptRequest } from '../../event-store.js';
import { ConfirmPrompt } from './ConfirmPrompt.js';
import { SelectPrompt } from './SelectPrompt.js';
import { TextPrompt } from './TextPrompt.js';

export interface PromptViewProps {
  prompt: PromptRequest;
  store: EventStore;
  /** Ctrl-C while a prompt holds the keyboard (raw mode: no SIGINT reaches the process). */
  onInterrupt(): void;
}

/** Shows the open question; an answer is recorded in the store first, then resolves the asker. */
export function PromptView({ prompt, store, onInterrupt }: PromptViewProps) {
  const record = (answer: string): void => store.dispatch({ kind: 'answered', id: prompt.id, answer });
  const cancel = (): void => {
    const open = store.getState().prompts;
    store.dispatch({ kind: 'drop-prompts' });
    for (const p of open) p.reject(interruptedError());
    onInterrupt();
  };
  switch (prompt.kind) {
    case 'select':
      return (
        <SelectPrompt
          question={prompt.question}
          flag={prompt.flag}
          choices={prompt.choices}
          initial={prompt.initial}
          onAnswer={(value, label) => {
            record(label);
            prompt.resolve(value);
          }}
          onCancel={cancel}
        />
      );
    case 'confirm':
      return (
        <ConfirmPrompt
          question={prompt.question}
          flag={prompt.flag}
          initial={prompt.initial ?? false}
          onAnswer={(value) => {
            record(value ? 'yes' : 'no');
            prompt.resolve(value);
          }}
          onCancel={cancel}
        />
      );
    case 'text':
      return (
        <TextPrompt
          question={prompt.question}
          flag={prompt.flag}
          {...(prompt.initial === undefined ? {} : { initial: prompt.initial })}
          {...(prompt.validate === undefined ? {} : { validate: prompt.validate })}
          onAnswer={(value) => {
            record(value);
            prompt.resolve(value);
          }}
          onCancel={cancel}
        />
      );
  }
}
