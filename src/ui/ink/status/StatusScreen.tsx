/**
 * The status screen: the same model and cell texts as the plain table, drawn with ink. In --watch
 * each refresh re-renders with a new model; rows are keyed by lease key and memoised on their cell
 * texts, so a lease appearing or going away adds or removes one line and the others stay put.
 * Column widths never shrink while the screen lives, and the host list is cut to the terminal's
 * height (ink clears the whole screen for frames taller than the terminal — the flicker we avoid).
 */
import { memo, useMemo, useRef } from 'react';
import { Box, Text, useStdout } from 'ink';
import { formatDuration } from '../../../core/duration.js';
import type { HostRow, StatusModel } from '../../../status/model.js';
import { okMark, SEVERITY_MARKS, VERDICT_MARKS, type Mark } from '../../marks.js';
import { fitHostTable, hostLines, type HostTableLayout } from '../../status-columns.js';
import { controlPlaneHeading, HOST_COLUMNS, hostCells, MEMBER_COLUMNS, memberCells, overviewLines, probeLine, reachNotes, table, thisHostLines, verdictLine } from '../../status-text.js';
import { ColorContext, Tone } from '../theme.js';
import { LabelValue, MarkedMessage, MarkTone, Note } from './parts.js';

export interface StatusScreenProps {
  model: StatusModel;
  color: boolean;
  /** Terminal rows available; the host list is cut to fit. */
  rows?: number;
  /** --watch: the refresh interval and whether a refresh is running. */
  watch?: { intervalMs: number; refreshing: boolean };
}

export function StatusScreen({ model, color, rows = 40, watch }: StatusScreenProps) {
  // Each row's cells once per model: the widths and the shown rows both need them.
  const cells = useMemo(() => new Map(model.hosts.map((h) => [h.key, hostCells(h)])), [model.hosts]);
  const columns = useStdout().stdout.columns || 80;
  const layout = fitHostTable(useStableWidths(cells), columns);
  const problems = model.problems.slice(0, 6);
  const local = thisHostLines(model);
  const overview = overviewLines(model);
  const notes = reachNotes(model.hosts);
  // Everything but the host rows, counted in lines, so the frame stays shorter than the terminal.
  const warning = model.security.warning;
  const cp = model.controlPlane;
  const cpHeading = controlPlaneHeading(model);
  // At most five members: a table of its own, as the plain text draws it.
  const memberLines = cp && cp.members.length > 0 ? table(MEMBER_COLUMNS, cp.members.map(memberCells)) : [];
  const cpLines = cpHeading === undefined ? 0 : 2 + memberLines.length + (cp?.warnings.length ?? 0) * 2;
  const fixed = 1 + overview.length + (warning ? 2 : 0) + 3 + notes.length + 1 + cpLines + 2 + local.length + (problems.length > 0 ? 2 + problems.length * 2 : 0) + (watch ? 2 : 0) + 4;
  // A host on two lines (a narrow terminal) takes twice the room.
  const room = Math.max(3, Math.floor((rows - fixed) / (layout.twoLines ? 2 : 1)));
  const shown = pickRows(model.hosts, room);
  const hidden = model.hosts.length - shown.length;
  const labelWidth = Math.max(...overview.map((l) => l.label.length));
  const localWidth = Math.max(...local.map((l) => l.label.length));

  return (
    <ColorContext.Provider value={color}>
      <Box flexDirection="column">
        <Verdict model={model} />
        {overview.map((l) => (
          <LabelValue key={l.label} label={l.label} width={labelWidth} value={l.value} />
        ))}
        {warning && (
          <MarkedMessage mark={SEVERITY_MARKS.warning} message={warning.message} hint={warning.hint} />
        )}
        <Box marginTop={1}>
          <Tone bold>hosts ({model.hosts.length})</Tone>
        </Box>
        <Tone dim wrap="truncate-end">{hostLines(HOST_COLUMNS, HOST_COLUMNS, layout)[0]}</Tone>
        {shown.map((row) => (
          <HostLine key={row.key} cells={cells.get(row.key) ?? hostCells(row)} health={row.health} layout={layoutKey(layout)} />
        ))}
        {hidden > 0 && <Note>{`… and ${hidden} more host${hidden === 1 ? '' : 's'} (all in \`ignite-net status --json\`)`}</Note>}
        {model.hosts.length === 0 && <Text>{model.etcd.ok ? '  no leases in etcd' : '  unknown: etcd could not be read'}</Text>}
        {notes.map((note) => (
          <Note key={note}>{note}</Note>
        ))}
        <Note>{probeLine(model)}</Note>
        {cpHeading !== undefined && (
          <Box flexDirection="column" marginTop={1}>
            <Tone bold>{cpHeading}</Tone>
            {memberLines.map((line, i) =>
              i === 0 ? (
                <Tone key="header" dim wrap="truncate-end">{`  ${line}`}</Tone>
              ) : cp?.members[i - 1]?.healthy === false ? (
                <Tone key={cp.members[i - 1]?.id ?? i} color="red" wrap="truncate-end">{`  ${line}`}</Tone>
              ) : (
                <Text key={cp?.members[i - 1]?.id ?? i} wrap="truncate-end">{`  ${line}`}</Text>
              ),
            )}
            {cp?.warnings.map((message) => (
              <MarkedMessage key={message} mark={SEVERITY_MARKS.warning} message={message} />
            ))}
          </Box>
        )}
        <Box marginTop={1}>
          <Tone bold>this host</Tone>
        </Box>
        {local.map((l, i) => (
          <LabelValue key={`${l.label}-${i}`} label={l.label} width={localWidth} mark={okMark(l.ok)} value={l.value} />
        ))}
        {problems.length > 0 && (
          <Box flexDirection="column" marginTop={1}>
            <Tone bold>problems</Tone>
            {problems.map((p, i) => (
              <MarkedMessage key={`${p.code}-${p.subject ?? i}`} mark={SEVERITY_MARKS[p.severity]} message={p.message} hint={p.hint} />
            ))}
            {model.problems.length > problems.length && <Note>{`… and ${model.problems.length - problems.length} more`}</Note>}
          </Box>
        )}
        {watch && (
          <Box marginTop={1}>
            <Tone dim>
              {`${watch.refreshing ? '⟳' : ' '} every ${formatDuration(watch.intervalMs)} · updated ${model.generatedAt.slice(11, 19)} UTC · Ctrl-C to quit`}
            </Tone>
          </Box>
        )}
      </Box>
    </ColorContext.Provider>
  );
}

function Verdict({ model }: { model: StatusModel }) {
  const mark = VERDICT_MARKS[model.verdict];
  return <MarkTone mark={mark} bold text={`${mark.text} ${verdictLine(model)}`} />;
}

/** The layout as a memo-friendly string: widths, then 2 for a host on two lines. */
const layoutKey = (layout: HostTableLayout): string => `${layout.widths.join(',')}|${layout.twoLines ? 2 : 1}`;

function layoutOf(key: string): HostTableLayout {
  const [widths = '', lines] = key.split('|');
  return { widths: widths.split(',').map(Number), twoLines: lines === '2' };
}

/** One host (one line, or two in a narrow terminal); re-renders only when its own cells or the layout change. */
export const HostLine = memo(
  function HostLine({ cells, health, layout }: { cells: string[]; health: HostRow['health']; layout: string }) {
    // Truncated, never wrapped: a wrapped row would break the table and change the frame's height.
    const lines = hostLines(cells, HOST_COLUMNS, layoutOf(layout));
    const color = health === 'error' ? 'red' : health === 'warning' ? 'yellow' : undefined;
    return (
      <Box flexDirection="column">
        {lines.map((text, i) => (
          <Tone key={i} color={color} wrap="truncate-end">
            {text}
          </Tone>
        ))}
      </Box>
    );
  },
  (a, b) => a.health === b.health && a.layout === b.layout && a.cells.join('\u0000') === b.cells.join('\u0000'),
);

/** Natural column widths (header and cells) that only grow while the screen lives. */
function useStableWidths(cells: ReadonlyMap<string, readonly string[]>): number[] {
  const ref = useRef<number[]>(HOST_COLUMNS.map((h) => h.length));
  const next = [...ref.current];
  for (const row of cells.values()) row.forEach((cell, i) => (next[i] = Math.max(next[i] ?? 0, cell.length)));
  if (next.some((w, i) => w !== ref.current[i])) ref.current = next;
  return ref.current;
}

/** Rows with problems first (an operator must see them), then the rest in subnet order, up to `room`. */
export function pickRows(hosts: readonly HostRow[], room: number): HostRow[] {
  if (hosts.length <= room) return [...hosts];
  const keep = new Set<string>();
  for (const h of hosts) if (h.thisHost || h.etcdHost || h.health !== 'ok') keep.add(h.key);
  for (const h of hosts) {
    if (keep.size >= room) break;
    keep.add(h.key);
  }
  return hosts.filter((h) => keep.has(h.key)).slice(0, room);
}
