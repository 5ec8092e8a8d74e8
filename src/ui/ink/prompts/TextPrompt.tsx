import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { Tone } from '../theme.js';
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
  const [error, setError] = useState<string | undefined>(undefined);
  useInput((input, key) => {
    if (isCtrlC(input, key)) return onCancel();
    if (key.return) {
      const problem = validate?.(value);
      if (problem === undefined) onAnswer(value);
      else setError(problem);
      return;
    }
    if (key.backspace || key.delete) {
      setValue((v) => v.slice(0, -1));
      setError(undefined);
      return;
    }
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return;
    // Printable input, possibly pasted several characters at once; newlines are not part of an answer.
    const printable = input.replace(/[\u0000-\u001F\u007F]/g, '');
    if (printable !== '') {
      setValue((v) => v + printable);
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
