import { Text } from 'ink';
import type { ReactNode } from 'react';
import { Tone } from '../theme.js';

/** "? <question> (or pass --flag)" — the flag tells the operator how to skip this next time. */
export function Question({ question, flag, children }: { question: string; flag: string; children?: ReactNode }) {
  return (
    <Text>
      <Tone color="green" bold>
        ?
      </Tone>{' '}
      <Tone bold>{question}</Tone>
      {children}
      {flag !== '' && <Tone dim> (or pass {flag})</Tone>}
    </Text>
  );
}

export interface KeyLike {
  ctrl: boolean;
}

export const isCtrlC = (input: string, key: KeyLike): boolean => key.ctrl && input === 'c';
