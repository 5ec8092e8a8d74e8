import type { Step } from '../core/step.js';
import { IgniteError } from '../core/errors.js';
import { createSelfSignedClient } from '../pki/certs.js';
import { bootstrapKey, joinKey } from '../pki/etcd-roles.js';
import type { JoinRecord } from '../pki/records.js';
import { pkiLayout, SECRET_DIR_MODE, SECRET_MODE } from '../pki/layout.js';
import { writeHostIdentity } from './auth.js';
import { required, type CommandContext } from './context.js';
import type { FileWrite } from './pki.js';

/**
 * join with a token, after preflight: takes the sealed identity out of etcd (one delete that returns
 * it, so exactly one host gets it), records the join for `token list`, and writes what this host's
 * flannel reads (the CA, its throwaway client pair, its user and password; 0600 in a 0700 dir).
 * A join that fails or is interrupted later gives the token back, so it can be run again as printed.
 */
export const identityStep: Step<CommandContext> = {
  id: 'identity',
  title: "This host's etcd identity",
  skip: (ctx) => (ctx.joining === undefined ? 'an insecure overlay: no identity' : undefined),
  async run(ctx, io) {
    const joining = required(ctx.joining, 'the identity the token opened');
    const security = required(ctx.security, 'the overlay CA');
    const { files, clock, network } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    if (joining.tokenStore) {
      const join = required(ctx.options.join, 'join token');
      const tokenStore = joining.tokenStore;
      const key = bootstrapKey(join.token.id);
      const taken = await tokenStore.takeKey(key);
      if (taken === undefined) {
        throw new IgniteError('permission', `the token ${join.token.id}.… was used by another host while this one joined`, {
          hint: `On ${ctx.peer?.host ?? 'the init host'} run \`sudo ignite-net token create\` for another.`,
        });
      }
      // Undone, the token is unused again (on its own lease, so its TTL is unchanged) and this join not
      // recorded: the same join command works. One undo for both, declared before the record is written.
      const host = ctx.peer?.host ?? 'the init host';
      const recordKey = joinKey(join.token.id);
      await io.changed({
        title: `give the token ${join.token.id}.… back (unused)`,
        run: async () => {
          try {
            await tokenStore.putBack(key, taken);
            await tokenStore.delete(recordKey);
          } catch (error) {
            // The runner shows an undo's message only: it says what to do. A request that timed out may
            // still reach etcd later (the kernel keeps sending it), so "may".
            throw new IgniteError('etcd', `${error instanceof Error ? error.message : String(error)}; the token may stay used up: if the same join command is refused as used, run \`sudo ignite-net token create\` on ${host} for another`, { cause: error });
          }
        },
      });
      const record: JoinRecord = { address: required(ctx.advertise, 'advertise address').address, hostname: network.hostName(), user: joining.identity.username, at: new Date(clock.now()).toISOString() };
      await tokenStore.put(recordKey, JSON.stringify(record));
    }
    if ((await files.ensureDir(layout.flannelTls.dir, SECRET_DIR_MODE)) === 'created') {
      await io.changed({ title: `remove ${layout.flannelTls.dir}`, run: async () => void (await files.removeTree(layout.flannelTls.dir)) });
    }
    const writes: FileWrite[] = [{ path: layout.flannelTls.ca, content: security.caPem, mode: 0o644 }];
    if ((await files.readIfExists(layout.flannelTls.key)) === undefined) {
      const client = await createSelfSignedClient('ignite-net flannel', { now: new Date(clock.now()) });
      writes.push({ path: layout.flannelTls.key, content: client.keyPem, mode: SECRET_MODE }, { path: layout.flannelTls.cert, content: client.certPem, mode: 0o644 });
    }
    await writeHostIdentity(files, io, layout, joining.identity, writes);
    ctx.identity = joining.identity.username;
    return { detail: joining.identity.username };
  },
};
