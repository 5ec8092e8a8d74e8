import { ExitCode } from '../core/errors.js';
import type { SummaryLine } from '../core/events.js';
import type { CommandContext } from '../steps/context.js';
import { hostChecks } from '../doctor/host.js';
import { controlPlaneCheckStep } from '../doctor/control-plane.js';
import { peerCheckStep } from '../doctor/peer.js';
import { securityCheckStep } from '../doctor/security.js';
import { checkStep, doctorReport } from '../doctor/report.js';
import { doctorStateStep } from '../doctor/state.js';
import { initChecks, joinChecks } from '../steps/preflight.js';
import { advertiseStep, dockerStep } from '../steps/resolve.js';
import type { CommandSpec } from './command.js';

const STATUS_WORD = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

/**
 * `ignite-net doctor [--peer <host>]`: every preflight check of init (of join with --peer, or on a
 * joined host), plus the host settings flannel operators trip on. Changes nothing, takes no lock,
 * asks nothing; every check runs, and the exit code says whether any failed.
 */
export const doctorCommand: CommandSpec = {
  name: 'doctor',
  changesHost: false,
  steps: () => [
    doctorStateStep,
    // As in join: Docker, the peer (its network config is what the local checks must use), the address.
    dockerStep,
    peerCheckStep,
    advertiseStep,
    checkStep('preflight', 'Preflight checks', (ctx) => (ctx.options.peer === undefined ? initChecks(ctx.network.Backend.Type) : joinChecks(false, ctx.network.Backend.Type))),
    checkStep('host', 'Host networking', () => hostChecks()),
    securityCheckStep,
    controlPlaneCheckStep,
  ],
  summary(ctx: CommandContext) {
    const report = doctorReport(ctx);
    const failed = report.results.filter((r) => r.status === 'fail');
    const warned = report.results.filter((r) => r.status === 'warn');
    const total = report.results.length;
    const title =
      failed.length > 0
        ? `ignite-net doctor: ${failed.length} of ${total} checks failed`
        : warned.length > 0
          ? `ignite-net doctor: no failures, ${warned.length} warning${warned.length === 1 ? '' : 's'} (${total} checks)`
          : `ignite-net doctor: ${total === 1 ? 'the 1 check' : `all ${total} checks`} passed`;
    const lines: SummaryLine[] = [
      { label: 'checked', value: report.checkedAs },
      ...report.results.map((r) => ({ label: r.name, value: `${STATUS_WORD[r.status]}  ${r.message}` })),
      ...report.notRun.map((n) => ({ label: n.name, value: `not run (${n.reason})` })),
    ];
    const next = failed.map((r) => `${r.name}: ${r.hint ?? 'see above'}`);
    if (failed.length === 0 && ctx.state === undefined) {
      next.push(
        ctx.options.peer === undefined
          ? 'Ready for `sudo ignite-net init`.'
          : ctx.peerAccess === 'anonymous'
            ? `Ready to join ${ctx.options.peer}: run \`sudo ignite-net token create\` there and the join command it prints here.`
            : `Ready for \`sudo ignite-net join ${ctx.options.peer}\`.`,
      );
    }
    return { title, lines, next, ...(failed.length > 0 ? { exitCode: ExitCode.preflight } : {}) };
  },
};
