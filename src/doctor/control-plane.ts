/**
 * doctor on a control-plane host (docs/ha.md, "status and doctor"): every other etcd member's peer
 * port, probed as etcd's members probe each other (`GET /raft/probing` with this host's member
 * certificate), which proves 2380/tcp and peer TLS and gives the member's clock. One check per member,
 * probed in parallel; a single-member cluster adds none. The verdict is the pure function below.
 */
import type { RaftProbe } from '../adapters/raft-probe.js';
import { fail, pass, warn, type Outcome } from '../core/check.js';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { EtcdMember } from '../ha/members.js';
import { hostFromUrl } from '../net/host-arg.js';
import { ETCD_SERVER_NAME, pkiLayout } from '../pki/layout.js';
import { required, type CommandContext } from '../steps/context.js';
import { countDetail, runOne } from './report.js';

/** etcd's own threshold: it logs "prober found high clock drift" above 1 s. */
export const MAX_CLOCK_SKEW_MS = 1_000;
const PROBE_TIMEOUT_MS = 2_000;

/** The member's clock minus this host's at the moment it answered (the middle of the round trip). */
export const clockSkewMs = (probe: RaftProbe): number => Math.round(probe.memberNow.getTime() - (probe.sentAt + probe.receivedAt) / 2);

export function evaluatePeerProbe(member: Pick<EtcdMember, 'name' | 'peerUrls'>, probe: RaftProbe | Error): Outcome {
  const url = member.peerUrls[0] ?? '?';
  const who = `${url} (member ${member.name || 'not started'})`;
  if (probe instanceof Error) {
    return fail(`${who}: ${probe.message}`, probe instanceof IgniteError && probe.hint ? probe.hint : `Is 2380/tcp open between the control-plane hosts, and etcd running on ${hostFromUrl(url)}?`);
  }
  const skew = clockSkewMs(probe);
  const rtt = formatDuration(Math.max(0, probe.receivedAt - probe.sentAt));
  const apart = `${formatDuration(Math.abs(skew))} ${skew >= 0 ? 'ahead of' : 'behind'} this host's`;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return warn(
      `${who} answers over peer TLS, but its clock is ${apart} (more than ${formatDuration(MAX_CLOCK_SKEW_MS)}; round trip ${rtt})`,
      'Keep the clocks of the control-plane hosts in sync (chrony or systemd-timesyncd on each): etcd warns of clock drift, and leases and certificates depend on time.',
    );
  }
  return pass(`${who} answers over peer TLS (2380/tcp), round trip ${rtt}; its clock is ${apart}`);
}

/** Runs on a secure host that runs an etcd member: the init host, or one joined with --control-plane. */
export const controlPlaneCheckStep: Step<CommandContext> = {
  id: 'control-plane',
  title: 'etcd members',
  skip(ctx) {
    const state = ctx.state;
    if (state === undefined) return 'this host is not set up';
    if (state.role !== 'init' && state.controlPlane === undefined) return 'this host runs no etcd member';
    if (state.security === undefined) return 'an insecure overlay has one member';
    return undefined;
  },
  async run(ctx, io) {
    const state = required(ctx.state, 'state');
    const { files } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    const [caPem, certPem, keyPem] = await Promise.all([layout.etcdTls.ca, layout.etcdTls.cert, layout.etcdTls.key].map((path) => files.readIfExists(path)));
    const tls = { caPem: caPem ?? '', serverName: ETCD_SERVER_NAME };
    const admin = ctx.services.etcdMembers(state.etcdEndpoint, { timeoutMs: Math.min(ctx.options.timeoutMs, PROBE_TIMEOUT_MS * 2), tls });
    let members: EtcdMember[];
    try {
      members = await admin.list();
    } catch (error) {
      if (!(error instanceof IgniteError)) throw error;
      // The security checks say why etcd does not answer; the peers cannot be found without it.
      return { detail: `not checked: the member list could not be read (${error.message})` };
    } finally {
      admin.close();
    }
    const self = state.advertiseAddress;
    const others = members.filter((m) => m.peerUrls[0] !== undefined && hostFromUrl(m.peerUrls[0]) !== self);
    if (others.length === 0) return { detail: "this host's member is the only one" };
    const peerTls = caPem !== undefined && certPem !== undefined && keyPem !== undefined ? { caPem, certPem, keyPem, serverName: ETCD_SERVER_NAME } : undefined;
    // All at once: a member down costs one timeout, not one per member.
    const probes = others.map((m) =>
      peerTls === undefined
        ? Promise.resolve(new IgniteError('notSetUp', `this host's member certificate is missing (${layout.etcdTls.dir})`, { hint: 'Run `sudo ignite-net init` (or the control-plane join) again on this host.' }))
        : ctx.services.probes.probeRaftPeer(m.peerUrls[0] ?? '', peerTls, PROBE_TIMEOUT_MS).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    );
    const results = [];
    for (const [i, member] of others.entries()) {
      const check = { name: `EtcdPeer-${member.name || member.id}`, run: async () => evaluatePeerProbe(member, await (probes[i] as Promise<RaftProbe | Error>)) };
      results.push((await runOne(check, ctx, io)).result);
    }
    return { detail: countDetail(results) };
  },
};
