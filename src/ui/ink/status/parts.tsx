/**
 * The status screen's text blocks that may wrap. Each is a row of boxes, so a wrapped line continues
 * under its own column (the value, the message, the hint's text), never at column 0.
 */
import { Box, useStdout } from 'ink';
import type { Mark } from '../../marks.js';
import { Tone } from '../theme.js';
import { Wrapped } from '../Wrapped.js';

/** Columns left for text that starts `offset` columns in. */
function useRoom(offset: number): number {
  return (useStdout().stdout.columns || 80) - offset;
}

export function MarkTone({ mark, bold = false, text = mark.text }: { mark: Mark; bold?: boolean; text?: string }) {
  return mark.color === 'dim' ? <Tone dim bold={bold}>{text}</Tone> : <Tone color={mark.color} bold={bold}>{text}</Tone>;
}

/** `  [mark ]label  value`: the value wraps under itself. */
export function LabelValue({ label, width, mark, value }: { label: string; width: number; mark?: Mark; value: string }) {
  const room = useRoom(2 + (mark ? 2 : 0) + width + 2);
  return (
    <Box marginLeft={2}>
      {mark && (
        <Box width={2} flexShrink={0}>
          <MarkTone mark={mark} />
        </Box>
      )}
      <Box width={width + 2} flexShrink={0}>
        <Tone dim>{label}</Tone>
      </Box>
      <Wrapped text={value} width={room} />
    </Box>
  );
}

/** `mark message` with `hint: …` under the message, `indent` columns in; both wrap under their own text. */
export function MarkedMessage({ mark, message, hint, indent = 2 }: { mark: Mark; message: string; hint?: string | undefined; indent?: number }) {
  const room = useRoom(indent + 2);
  return (
    <Box flexDirection="column" marginLeft={indent}>
      <Box>
        <Box width={2} flexShrink={0}>
          <MarkTone mark={mark} />
        </Box>
        <Wrapped text={message} width={room} />
      </Box>
      {hint !== undefined && hint !== '' && (
        <Box marginLeft={2}>
          <Box width={6} flexShrink={0}>
            <Tone dim>hint:</Tone>
          </Box>
          <Wrapped text={hint} width={room - 2 - 6} dim />
        </Box>
      )}
    </Box>
  );
}

/** A dim note indented by two; a wrapped line keeps the indent. */
export function Note({ children }: { children: string }) {
  const room = useRoom(2);
  return (
    <Box marginLeft={2}>
      <Wrapped text={children} width={room} dim />
    </Box>
  );
}
