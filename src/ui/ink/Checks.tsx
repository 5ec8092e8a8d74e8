import { Box, Text } from 'ink';
import type { CheckResult } from '../../core/events.js';
import type { WarningView } from '../event-store.js';
import { symbols } from '../marks.js';
import { Tone } from './theme.js';

/** kubeadm-style check results: errors and warnings by name, passes counted. */
export function Checks({ checks }: { checks: CheckResult[] }) {
  const passed = checks.filter((check) => check.status === 'pass').length;
  const shown = checks.filter((check) => check.status !== 'pass');
  if (checks.length === 0) return null;
  return (
    <Box flexDirection="column" marginLeft={2}>
      {shown.map((check, index) => (
        <CheckLine key={index} check={check} />
      ))}
      {passed > 0 && <Tone dim>{passed === 1 ? '1 check passed' : `${passed} checks passed`}</Tone>}
    </Box>
  );
}

export function CheckLine({ check }: { check: CheckResult }) {
  const failed = check.status === 'fail';
  return (
    <Box flexDirection="column">
      <Text>
        <Tone color={failed ? 'red' : 'yellow'}>{failed ? `[ERROR ${check.name}]` : `[WARN ${check.name}]`}</Tone>{' '}
        {check.message}
      </Text>
      {check.hint !== undefined && (
        <Box marginLeft={2}>
          <Tone dim>hint: {check.hint}</Tone>
        </Box>
      )}
    </Box>
  );
}

export function Warnings({ warnings, indent = 2 }: { warnings: WarningView[]; indent?: number }) {
  return (
    <Box flexDirection="column" marginLeft={indent}>
      {warnings.map((warning, index) => (
        <WarningLine key={index} warning={warning} />
      ))}
    </Box>
  );
}

export function WarningLine({ warning }: { warning: WarningView }) {
  return (
    <Text>
      <Tone color="yellow">{`${symbols.warning} `}</Tone>
      {warning.message}
      {warning.hint !== undefined && <Tone dim> — {warning.hint}</Tone>}
    </Text>
  );
}
