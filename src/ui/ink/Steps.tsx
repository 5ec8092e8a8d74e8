import { Box, Text, useStdout } from 'ink';
import type { DryRunChange } from '../../core/events.js';
import { changeLines, DRY_RUN_HEADER } from '../dry-run-lines.js';
import Spinner from 'ink-spinner';
import { formatDuration } from '../../core/duration.js';
import type { Entry, StepView } from '../event-store.js';
import { symbols } from '../marks.js';
import { CheckLine, Checks, Warnings } from './Checks.js';
import { Failure } from './Failure.js';
import { PullLayers } from './PullLayers.js';
import { Line, Tone, useNow } from './theme.js';

/** A dry run's recorded changes: `would …` with its details below, pre-wrapped to the terminal. */
export function Changes({ changes }: { changes: readonly DryRunChange[] | undefined }) {
  const width = useStdout().stdout.columns || 80;
  if (changes === undefined || changes.length === 0) return null;
  return (
    <Box flexDirection="column">
      {changes.map((change, index) => {
        const { what, details } = changeLines(change, width);
        return (
          <Box key={index} flexDirection="column">
            <Tone color="yellow">{what.join('\n')}</Tone>
            {details.length > 0 && <Tone dim>{details.join('\n')}</Tone>}
          </Box>
        );
      })}
    </Box>
  );
}

/** A step that has ended: ✔ / ✖ / ↷ with its duration, then its checks, warnings and error. */
export function FinishedStep({ step }: { step: StepView }) {
  const symbol =
    step.status === 'success' ? (
      <Tone color="green">{symbols.success}</Tone>
    ) : step.status === 'fail' && step.error?.cancelled ? (
      <Tone color="yellow">{symbols.skip}</Tone>
    ) : step.status === 'fail' ? (
      <Tone color="red">{symbols.fail}</Tone>
    ) : (
      <Tone dim>{symbols.skip}</Tone>
    );
  return (
    <Box flexDirection="column">
      <Line symbol={symbol}>
        {step.title}
        {step.durationMs !== undefined && <Tone dim> ({formatDuration(step.durationMs)})</Tone>}
        {step.detail !== undefined && <Tone color="cyan"> {step.detail}</Tone>}
        {step.reason !== undefined && <Tone dim> — skipped: {step.reason}</Tone>}
      </Line>
      <Checks checks={step.checks} />
      <Warnings warnings={step.warnings} />
      <Changes changes={step.changes} />
      {step.error !== undefined && <Failure error={step.error} />}
    </Box>
  );
}

/** The step in progress: spinner, title, time so far, latest message, pull layers, checks so far. */
export function RunningStep({ step, asking }: { step: StepView; asking: boolean }) {
  const now = useNow(1000);
  const elapsed = step.startedAt === undefined ? 0 : now - step.startedAt;
  const symbol = asking ? (
    <Tone color="cyan">?</Tone>
  ) : (
    <Tone color="cyan">
      <Spinner />
    </Tone>
  );
  return (
    <Box flexDirection="column">
      <Line symbol={symbol}>
        {step.title}
        {/* Whole seconds: a ticking tenth would redraw the line ten times a second. */}
        {elapsed >= 2000 && <Tone dim> {formatDuration(Math.floor(elapsed / 1000) * 1000)}</Tone>}
      </Line>
      {step.pull !== undefined ? (
        <Box marginLeft={2}>
          <PullLayers pull={step.pull} />
        </Box>
      ) : (
        step.message !== undefined && (
          <Box marginLeft={2}>
            <Tone dim>{step.message}</Tone>
          </Box>
        )
      )}
      <Checks checks={step.checks} />
      <Warnings warnings={step.warnings} />
      <Changes changes={step.changes} />
    </Box>
  );
}

/** One item of the <Static> list. */
export function FinishedEntry({ entry }: { entry: Entry }) {
  switch (entry.kind) {
    case 'step':
      return <FinishedStep step={entry.step} />;
    case 'warning':
      return <Warnings warnings={[entry.warning]} indent={0} />;
    case 'check':
      return (
        <Box marginLeft={2}>
          <CheckLine check={entry.check} />
        </Box>
      );
    case 'undo':
      return (
        <Line symbol={entry.ok ? <Tone dim>{symbols.undo}</Tone> : <Tone color="red">{symbols.fail}</Tone>}>
          {entry.ok ? 'undone: ' : 'undo failed: '}
          {entry.title}
          {entry.message !== undefined && <Tone dim> — {entry.message}</Tone>}
        </Line>
      );
    case 'dry-run':
      return (
        <Text>
          <Tone color="yellow">{DRY_RUN_HEADER}</Tone>
        </Text>
      );
    case 'change':
      return <Changes changes={[entry.change]} />;
    case 'answer':
      return (
        <Line symbol={<Tone color="green">?</Tone>}>
          {entry.question} <Tone color="cyan">{entry.answer}</Tone>
        </Line>
      );
  }
}

