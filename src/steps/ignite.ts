import type { Step } from '../core/step.js';
import { gatherIgniteFacts } from '../doctor/ignite.js';
import { igniteFindings } from '../cni/ignite-config.js';
import type { CommandContext } from './context.js';

/**
 * After the conflist is written, init and join read Ignite's side as doctor's IgniteConfig does
 * (cni/ignite-config.ts): the summary then names a networkPlugin other than cni (with the fix) and an
 * ignited that started before the conflist (restart it). Reads only; nothing found, nothing said.
 */
export const igniteStep: Step<CommandContext> = {
  id: 'ignite',
  title: "Check Ignite's configuration",
  async run(ctx) {
    const facts = await gatherIgniteFacts(ctx.services, ctx.options.cniConfDir);
    ctx.igniteFindings = igniteFindings(facts);
    if (facts.configText === undefined && facts.ignitedStartedAt === undefined) return { detail: 'no Ignite here (no config file, no ignited)' };
    const errors = ctx.igniteFindings.filter((f) => f.severity === 'error').length;
    const warnings = ctx.igniteFindings.length - errors;
    if (ctx.igniteFindings.length === 0) return { detail: 'fine: networkPlugin cni, ignited started after the CNI config' };
    return { detail: [errors > 0 ? `${errors} error` : '', warnings > 0 ? `${warnings} warning` : ''].filter(Boolean).join(', ') + ' (in the summary)' };
  },
};
