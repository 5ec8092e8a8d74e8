import { useInput } from 'ink';
import { Tone } from '../theme.js';
import { Question, isCtrlC } from './Question.js';

export interface ConfirmPromptProps {
  question: string;
  flag: string;
  initial: boolean;
  onAnswer(value: boolean): void;
  onCancel(): void;
}

/** y or n answers; Enter takes the default, shown in capitals. */
export function ConfirmPrompt({ question, flag, initial, onAnswer, onCancel }: ConfirmPromptProps) {
  useInput((input, key) => {
    if (isCtrlC(input, key)) onCancel();
    else if (input.toLowerCase() === 'y') onAnswer(true);
    else if (input.toLowerCase() === 'n') onAnswer(false);
    else if (key.return) onAnswer(initial);
  });
  return (
    <Question question={question} flag={flag}>
      <Tone dim> {initial ? '(Y/n)' : '(y/N)'}</Tone>
    </Question>
  );
}
