// Being written (issue 3): replaced by the doctor command.
import type { CommandSpec } from './command.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  changesHost: false,
  steps: () => [],
  summary: () => ({ title: 'doctor is not available yet', lines: [], next: [], exitCode: 1 }),
};
