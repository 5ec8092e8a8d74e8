import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { Choice } from '../../prompt.js';
import { Tone } from '../theme.js';
import { Question, isCtrlC } from './Question.js';

export interface SelectPromptProps {
  question: string;
  flag: string;
  choices: Choice<unknown>[];
  initial: number;
  onAnswer(value: unknown, label: string): void;
  onCancel(): void;
}

/** ↑/↓ (or k/j) move, Enter chooses; each choice shows its description. */
export function SelectPrompt({ question, flag, choices, initial, onAnswer, onCancel }: SelectPromptProps) {
  const [index, setIndex] = useState(initial);
  const count = choices.length;
  useInput((input, key) => {
    if (isCtrlC(input, key)) onCancel();
    else if (key.upArrow || input === 'k') setIndex((i) => (i - 1 + count) % count);
    else if (key.downArrow || input === 'j') setIndex((i) => (i + 1) % count);
    else if (key.return) {
      const choice = choices[index];
      if (choice !== undefined) onAnswer(choice.value, choice.label);
    }
  });
  return (
    <Box flexDirection="column">
      <Question question={question} flag={flag} />
      {choices.map((choice, i) => (
        <Box key={i}>
          <Box width={2} flexShrink={0}>
            <Tone color="cyan">{i === index ? '❯' : ' '}</Tone>
          </Box>
          <Box flexShrink={1}>
            <Text>
              {i === index ? <Tone color="cyan">{choice.label}</Tone> : choice.label}
              {choice.description !== undefined && <Tone dim>  {choice.description}</Tone>}
            </Text>
          </Box>
        </Box>
      ))}
      <Tone dim>↑/↓ to move, enter to choose</Tone>
    </Box>
  );
}
