import { Box, Text } from 'ink';
import type { ErrorView } from '../../core/errors.js';
import { Tone } from './theme.js';

/** What failed is the line above; this says why (message, evidence) and what to do (hint). */
export function Failure({ error, indent = 2 }: { error: ErrorView; indent?: number }) {
  const frames = error.stack === undefined ? [] : error.stack.split('\n').slice(1).map((frame) => frame.trim());
  return (
    <Box flexDirection="column" marginLeft={indent}>
      <Text>
        <Tone color={error.cancelled ? 'yellow' : 'red'} bold>
          {error.cancelled ? 'cancelled:' : 'error:'}
        </Tone>{' '}
        {error.message}
      </Text>
      {[...error.details, ...frames].map((line, index) => (
        <Box key={index} marginLeft={2}>
          <Tone dim>{line}</Tone>
        </Box>
      ))}
      {error.hint !== undefined && (
        <Text>
          <Tone color="cyan" bold>
            hint:
          </Tone>{' '}
          {error.hint}
        </Text>
      )}
    </Box>
  );
}
