import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { Tone } from '../theme.js';
import { chunkFromInk, editLine } from '../../line-edit.js';
import { Question, isCtrlC } from './Question.js';

export interface TextPromptProps {
  question: string;
  flag: string;
  initial?: string;
  validate?: (answer: string) => string | undefined;
  onAnswer(value: string): void;
  onCancel(): void;
}

/** A line of input; Enter checks it with validate and shows why it is refused, if it is. */
export function TextPrompt({ question, flag, initial = '', validate, onAnswer, onCancel }: TextPromptProps) {
  const [value, setValue] = useState(initial);
  // The line as of the last chunk: chunks can arrive faster than React renders, so the handler must not
  // read a `value` captured at the previous render.
  const line = useRef(initial);
  const [error, setError] = useState<string | undefined>(undefined);
  useInput((input, key) => {
    if (isCtrlC(input, key)) return onCancel();
    // One chunk may hold several keys (a paste ending in Enter, queued backspaces): editLine applies them all.
    const before = line.current;
    const edit = editLine(before, chunkFromInk(input, key));
    line.current = edit.value;
    if (edit.submitted) {
      const problem = validate?.(edit.value);
      setValue(edit.value);
      if (problem === undefined) onAnswer(edit.value);
      else setError(problem);
      return;
    }
    if (edit.value !== before) {
      setValue(edit.value);
      setError(undefined);
    }
  });
  return (
    <Box flexDirection="column">
      <Question question={question} flag={flag} />
      <Text>
        <Tone color="cyan">❯ </Tone>
        {value}
        <Tone dim>▏</Tone>
      </Text>
      {error !== undefined && <Tone color="red">✖ {error}</Tone>}
    </Box>
  );
}
