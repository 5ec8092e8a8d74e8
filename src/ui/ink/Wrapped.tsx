import { Text } from 'ink';
import { wrapWords } from '../format.js';
import { Tone } from './theme.js';

/** Text pre-wrapped at blanks to `width` (see wrapWords: ink's own wrap indents a continuation one too far). */
export function Wrapped({ text, width, dim = false }: { text: string; width: number; dim?: boolean }) {
  const lines = wrapWords(text, width).join('\n');
  return dim ? <Tone dim>{lines}</Tone> : <Text>{lines}</Text>;
}
