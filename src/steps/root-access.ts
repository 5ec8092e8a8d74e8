import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { pkiLayout } from '../pki/layout.js';
import type { CommandContext } from './context.js';
import { etcdAccess } from './etcd-access.js';
import { convertedNote, convertHostRoles } from './host-record.js';

/** Root's client on the init host: tokens and host identities are etcd users, which only root may manage. */
export const connectAsRoot: Step<CommandContext> = {
  id: 'connect',
  title: "Connect to etcd as root",
  async run(ctx) {
    const state = ctx.state;
    const layout = pkiLayout(ctx.options.stateDir);
    if (!state?.security) {
      throw new IgniteError('usage', state ? 'this overlay is insecure (init --insecure): hosts join it without a token' : 'ignite-net is not set up on this host', {
        hint: state ? 'Run `sudo ignite-net init` without --insecure to secure it.' : `Run \`ignite-net ${ctx.options.command}\` on the init host.`,
      });
    }
    if (!(await ctx.services.files.exists(layout.rootCredential))) {
      throw new IgniteError('usage', `${ctx.options.command} runs on the init host: this host has no etcd root credential`, { hint: `Run it on ${state.peer ?? 'the init host'}.` });
    }
    const access = await etcdAccess(ctx.services.files, ctx.options.stateDir);
    ctx.admin = ctx.services.etcdAdmin(state.etcdEndpoint, { timeoutMs: Math.min(ctx.options.timeoutMs, 10_000), ...access });
    ctx.store = ctx.admin;
    await ctx.admin.ping();
    // Identities from before per-host roles get theirs (docs/ha.md), so their hosts can write their records.
    const converted = await convertHostRoles(ctx.admin);
    return { detail: `${state.etcdEndpoint}${convertedNote(converted)}` };
  },
};
