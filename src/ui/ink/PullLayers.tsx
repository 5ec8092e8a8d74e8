import { Box, Text, useStdout } from 'ink';
import type { PullProgress } from '../../core/events.js';
import { megabytes, pullLine, summarizePull } from '../format.js';
import type { LayerView } from '../format.js';
import { Tone } from './theme.js';

export const MAX_LAYER_LINES = 5;
const BAR_WIDTH = 16;

function fraction(layer: LayerView): number {
  if (layer.status.toLowerCase() !== 'downloading' && layer.status.toLowerCase() !== 'extracting') return 1;
  if (layer.total === undefined || layer.total <= 0) return 0;
  return Math.min(1, (layer.current ?? 0) / layer.total);
}

function LayerLine({ layer, bar }: { layer: LayerView; bar: boolean }) {
  const filled = Math.round(fraction(layer) * BAR_WIDTH);
  const bytes =
    layer.total !== undefined && layer.total > 0 ? `  ${megabytes(layer.current ?? 0)}/${megabytes(layer.total)} MB` : '';
  return (
    <Text wrap="truncate-end">
      <Tone dim>{layer.id.slice(0, 12)}</Tone> {layer.status.padEnd(11)}
      {bar && <Tone color="cyan">{`  ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`}</Tone>}
      {bytes}
    </Text>
  );
}

/**
 * One line for the image, one per moving layer (at most five, so several parallel downloads stay
 * readable), and a count of the rest. Layer lines are truncated, never wrapped.
 */
export function PullLayers({ pull }: { pull: PullProgress }) {
  const { stdout } = useStdout();
  const bar = (stdout.columns || 80) >= 60;
  const summary = summarizePull(pull);
  const shown = summary.active.slice(0, MAX_LAYER_LINES);
  const hidden = summary.active.length - shown.length;
  const rest = [
    `${summary.done} done`,
    ...(hidden > 0 ? [`${hidden} more moving`] : []),
    ...(summary.waiting > 0 ? [`${summary.waiting} waiting`] : []),
  ];
  return (
    <Box flexDirection="column">
      <Text>{pullLine(pull)}</Text>
      {shown.map((layer) => (
        <LayerLine key={layer.id} layer={layer} bar={bar} />
      ))}
      <Tone dim>{rest.join(' · ')}</Tone>
    </Box>
  );
}
