/**
 * doctor's security checks of a host that init or join set up (docs/security.md): etcd serves TLS with
 * the CA this host pinned, its certificate is not about to expire, authentication is on (a call without
 * credentials is refused), and this host's identity is let in. An insecure overlay gets one warning.
 * The verdicts are pure functions below; the checks only gather what they judge.
 */
import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { PresentedCa } from '../adapters/tls-probe.js';
import { fail, pass, warn, type Outcome } from '../core/check.js';
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { PORTS } from '../defaults.js';
import { hostFromUrl } from '../net/host-arg.js';
import { INSECURE_OVERLAY, serverCertFinding } from '../pki/facts.js';
import { pkiLayout } from '../pki/layout.js';
import { readHostIdentity } from '../steps/auth.js';
import { required, type CommandContext } from '../steps/context.js';
import { readConfigAs as readConfigWith } from '../steps/etcd-access.js';
import type { Check } from '../steps/preflight.js';
import { countDetail, runDependent, type DependentCheck } from './report.js';

const PROBE_TIMEOUT_MS = 3_000;

/** Who recorded the pin, for the hint of a mismatch. */
export interface PinSource {
  role: 'init' | 'joined';
  peer?: string | undefined;
}

/** The CA etcd presents is the one this host recorded; a different one is someone else's etcd (or a new init). */
export function evaluateTls(where: string, recordedPin: string, presented: Pick<PresentedCa, 'pin'> | Error, source: PinSource): Outcome {
  if (presented instanceof Error) {
    return fail(`etcd at ${where} does not answer over TLS: ${presented.message}`, `This host's state file says the overlay is secure: is ${source.role === 'init' ? 'ignite-etcd running here (`ignite-net status`)' : `${source.peer ?? 'the init host'} up and ${PORTS.etcdClient}/tcp open`}?`);
  }
  if (presented.pin !== recordedPin) {
    return fail(
      `the CA at ${where} is not the one this host recorded: ${recordedPin} expected, ${presented.pin} found — is someone in between, or was init run again?`,
      source.role === 'init'
        ? 'The CA in the state directory (pki/ca.pem) changed: run `sudo ignite-net init` again so etcd, flannel and the state file agree.'
        : `Check the address; if init ran again on ${source.peer ?? 'the init host'}, run \`sudo ignite-net token create\` there, then \`sudo ignite-net cleanup\` here and the join command it printed.`,
    );
  }
  return pass(`etcd at ${where} serves TLS with the CA ${presented.pin}, the one this host recorded`);
}

export function evaluateServerCert(expiresAt: Date, now: number): Outcome {
  const found = serverCertFinding(expiresAt.toISOString(), now);
  const hint = found.hint ?? '';
  return found.severity === 'ok' ? pass(found.message) : found.severity === 'warning' ? warn(found.message, hint) : fail(found.message, hint);
}

/** What a call without credentials got: etcd's "user name is empty" is authentication at work. */
export function evaluateUnauthenticated(where: string, answer: 'answered' | Error): Outcome {
  if (answer === 'answered') {
    return fail(`etcd at ${where} answers a call without credentials: authentication is off`, 'Run `sudo ignite-net init` again on the init host: it turns authentication on.');
  }
  if (answer instanceof IgniteError && answer.kind === 'permission' && /user name is empty/.test(answer.message)) {
    return pass('authentication is on: a call without credentials is refused (user name is empty)');
  }
  return fail(`a call without credentials to etcd at ${where} failed otherwise than refused: ${answer.message}`, answer instanceof IgniteError && answer.hint ? answer.hint : 'Run doctor again; see `ignite-net logs etcd` on the init host.');
}

/** This host's identity (flannel's) is let in; on the init host ignite-net's own commands use root. */
export function evaluateIdentity(username: string | undefined, answer: 'answered' | Error | undefined, root: 'answered' | Error | undefined): Outcome {
  if (username === undefined || answer === undefined) {
    return fail("this host's etcd identity is missing (flannel-tls/etcd-username and etcd-password in the state directory)", 'Join again with a new token: `sudo ignite-net token create` on the init host prints the command.');
  }
  if (answer instanceof Error) {
    const revoked = answer instanceof IgniteError && /authentication failed/.test(answer.message);
    return fail(
      revoked ? `etcd refuses this host's identity ${username} (authentication failed): it was revoked (\`ignite-net hosts revoke\`) or init made a new etcd` : `this host's identity ${username} cannot read the network config: ${answer.message}`,
      revoked ? 'Run `sudo ignite-net token create` on the init host, then `sudo ignite-net cleanup` here and the join command it printed.' : answer instanceof IgniteError && answer.hint ? answer.hint : 'See `ignite-net logs etcd` on the init host.',
    );
  }
  if (root instanceof Error) return fail(`etcd refuses root, ignite-net's admin identity on this init host: ${root.message}`, 'The root credential (etcd-root.json) no longer opens this etcd: run `sudo ignite-net init` again.');
  return pass(`this host is ${username} (flannel's identity, reads the network config)${root === 'answered' ? "; ignite-net's own commands use root (etcd-root.json)" : ''}`);
}

/** The config read as `auth` (none: without credentials); what it got, never thrown. */
function readConfigAs(ctx: CommandContext, caPem: string, auth: EtcdAuth | undefined): Promise<'answered' | Error> {
  return readConfigWith(ctx.services, required(ctx.state, 'state').etcdEndpoint, caPem, auth, Math.min(ctx.options.timeoutMs, PROBE_TIMEOUT_MS));
}

/** The checks of a secure host; they share what the TLS check saw. */
function secureChecks(): DependentCheck[] {
  let presented: PresentedCa | undefined;
  const where = (ctx: CommandContext): string => {
    const url = required(ctx.state, 'state').etcdEndpoint;
    return `${hostFromUrl(url)}:${new URL(url).port || PORTS.etcdClient}`;
  };
  const tls: Check = {
    name: 'EtcdTls',
    async run(ctx) {
      const state = required(ctx.state, 'state');
      const url = new URL(state.etcdEndpoint);
      const got = await ctx.services.probes
        .fetchPresentedCa(hostFromUrl(url), Number(url.port || PORTS.etcdClient), Math.min(ctx.options.timeoutMs, PROBE_TIMEOUT_MS))
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      presented = got instanceof Error ? undefined : got;
      return evaluateTls(where(ctx), required(state.security, 'security').caPin, got, { role: state.role, peer: state.peer });
    },
  };
  const cert: Check = { name: 'EtcdCert', run: async (ctx) => evaluateServerCert(required(presented, 'presented CA').serverCertExpiresAt, ctx.services.clock.now()) };
  const auth: Check = { name: 'EtcdAuth', run: async (ctx) => evaluateUnauthenticated(where(ctx), await readConfigAs(ctx, required(presented, 'presented CA').caPem, undefined)) };
  const identity: Check = {
    name: 'EtcdIdentity',
    async run(ctx) {
      const caPem = required(presented, 'presented CA').caPem;
      const layout = pkiLayout(ctx.options.stateDir);
      const mine = await readHostIdentity(ctx.services.files, layout);
      const rootText = await ctx.services.files.readIfExists(layout.rootCredential);
      const rootAuth = rootText === undefined ? undefined : parseAuth(rootText);
      return evaluateIdentity(
        mine?.username,
        mine && (await readConfigAs(ctx, caPem, mine)),
        rootText === undefined ? undefined : rootAuth ? await readConfigAs(ctx, caPem, rootAuth) : new Error(`${layout.rootCredential} is not valid JSON`),
      );
    },
  };
  return [
    { check: tls, needs: [] },
    { check: cert, needs: ['EtcdTls'] },
    { check: auth, needs: ['EtcdTls'] },
    { check: identity, needs: ['EtcdTls'] },
  ];
}

function parseAuth(text: string): EtcdAuth | undefined {
  try {
    const value = JSON.parse(text) as Partial<EtcdAuth>;
    return typeof value.username === 'string' && typeof value.password === 'string' ? { username: value.username, password: value.password } : undefined;
  } catch {
    return undefined;
  }
}

const insecureCheck: Check = { name: 'EtcdTls', run: async () => warn(INSECURE_OVERLAY.message, INSECURE_OVERLAY.hint) };

/** The security of the overlay this host is part of, as its state file records it. */
export const securityCheckStep: Step<CommandContext> = {
  id: 'security',
  title: 'Security',
  skip: (ctx) => (ctx.state === undefined ? (ctx.options.peer === undefined ? 'this host is not set up' : 'this host is not set up: the peer checks looked at the overlay') : undefined),
  async run(ctx, io) {
    const checks = ctx.state?.security ? secureChecks() : [{ check: insecureCheck, needs: [] }];
    return { detail: countDetail(await runDependent(checks, ctx, io)) };
  },
};
