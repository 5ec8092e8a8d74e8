import { dryRunFooter } from '../dry-run-lines.js';
import { Box, Text, useStdout } from 'ink';
import { formatDuration } from '../../core/duration.js';
import type { ErrorView } from '../../core/errors.js';
import type { EndView, Entry, SummaryView } from '../event-store.js';
import { alignSummary } from '../format.js';
import { symbols } from '../marks.js';
import { Failure } from './Failure.js';
import { Wrapped } from './Wrapped.js';
import { Tone } from './theme.js';

/**
 * The result: a bordered box of label/value lines. The commands to run next are not in it: the
 * reporter writes them after the box as plain lines (reporter.tsx), so a join command that is wider
 * than the terminal is soft-wrapped by the terminal and copies as one line, not cut by a border.
 */
export function SummaryBox({ summary }: { summary: SummaryView }) {
  const lines = alignSummary(summary.lines);
  const labelWidth = (lines[0]?.label.length ?? 0) + 2;
  // As wide as the content (plus border and padding), never wider than the terminal: then it wraps.
  const columns = useStdout().stdout.columns || 80;
  const content = Math.max(
    summary.title.length,
    ...lines.map((line) => labelWidth + line.value.length),
  );
  const width = Math.min(columns, content + 4);
  return (
    <Box borderStyle="round" flexDirection="column" paddingX={1} width={width} marginTop={1}>
      <Tone bold>{summary.title}</Tone>
      {lines.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {lines.map((line, index) => (
            <Box key={index}>
              <Box width={labelWidth} flexShrink={0}>
                <Tone dim>{line.label}</Tone>
              </Box>
              <Wrapped text={line.value} width={width - 4 - labelWidth} />
            </Box>
          ))}
        </Box>
      )}
    </Box>
  );
}

function shownUnderStep(error: ErrorView, finished: Entry[]): boolean {
  return finished.some((entry) => entry.kind === 'step' && entry.step.error?.message === error.message);
}

/** How the command ended; an error not already shown under a step is shown here, with what stays. */
export function EndLine({ end, command, finished }: { end: EndView; command?: string; finished: Entry[] }) {
  const name = command === undefined ? '' : `${command} `;
  const footer = end.dryRun === undefined ? null : <Tone color="yellow">{dryRunFooter(end.dryRun.changes)}</Tone>;
  if (end.ok) {
    return (
      <Box flexDirection="column">
        {footer}
        <Text>
          <Tone color="green">{symbols.success}</Tone> {name}
          {end.dryRun === undefined ? '' : '--dry-run '}done <Tone dim>in {formatDuration(end.durationMs)}</Tone>
        </Text>
      </Box>
    );
  }
  if (end.error?.cancelled) {
    return (
      <Box marginTop={1}>
        <Text>
          <Tone color="yellow">{symbols.skip}</Tone> {name}cancelled <Tone dim>(exit {end.exitCode})</Tone>
        </Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" marginTop={1}>
      {/* An error outside any step (the host lock) comes before the end line, as a step's does. */}
      {end.error !== undefined && !shownUnderStep(end.error, finished) && <Failure error={end.error} indent={0} />}
      {footer}
      <Text>
        <Tone color="red">{symbols.fail}</Tone> {name}failed after {formatDuration(end.durationMs)}{' '}
        <Tone dim>(exit {end.exitCode})</Tone>
      </Text>
      {end.leftInPlace.length > 0 && (
        <Box flexDirection="column" marginLeft={2}>
          <Text>left in place:</Text>
          {end.leftInPlace.map((item, index) => (
            <Text key={index}>  - {item}</Text>
          ))}
        </Box>
      )}
    </Box>
  );
}
