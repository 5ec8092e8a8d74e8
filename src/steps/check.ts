import type { CheckResult } from '../core/events.js';
import type { StepIO } from '../core/step.js';
import type { CommandContext } from './context.js';

/** A named check, kubeadm style: it reports and never changes the host. */
export interface Check {
  name: string;
  /** What follows cannot run without it (Docker): --ignore-preflight-errors does not turn it into a warning. */
  fatal?: boolean;
  /** Reads ctx and the host (through ctx.services) and reports; never writes ctx or asks. */
  run(ctx: CommandContext, io: StepIO): Promise<Omit<CheckResult, 'name'>>;
}
