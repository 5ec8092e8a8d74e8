import { CONTAINER_NAMES } from '../defaults.js';
import { IgniteError } from '../core/errors.js';
import type { CheckResult } from '../core/events.js';
import type { Step } from '../core/step.js';
import { describeBackend } from '../net/backend.js';
import { deviceOutcome, hostsToRejoin, mtuOutcome } from '../net/backend-checks.js';
import { parseSubnetEnv, subnetEnvPath } from '../net/subnet-env.js';
import { required, type CommandContext } from './context.js';

/**
 * After flannel took its lease: the backend's device is what the network config says (flannel0,
 * flannel.<VNI> with its VNI and port, flannel-wg, none for host-gw) and subnet.env's MTU follows the
 * backend's rule. Reported as checks (BackendDevice, BackendMTU); a wrong or missing device stops
 * the command, an MTU that does not follow the rule is a warning.
 */
export const backendStep: Step<CommandContext> = {
  id: 'backend',
  title: "Check flannel's backend",
  observes: [CONTAINER_NAMES.flannel],
  async run(ctx, io) {
    const backend = ctx.network.Backend;
    const { network, files, kernel } = ctx.services;
    const results: CheckResult[] = [];
    const links = await network.listLinks().catch(() => undefined);
    results.push(
      links === undefined
        ? { name: 'BackendDevice', status: 'warn', message: 'iproute2 (`ip`) is not installed: the device was not checked', hint: 'Install iproute2.' }
        : { name: 'BackendDevice', ...deviceOutcome(backend, links) },
    );
    const envText = await files.readIfExists(subnetEnvPath(ctx.options.runDir));
    const iface = ctx.advertise?.iface;
    if (envText !== undefined && iface !== undefined) {
      const env = parseSubnetEnv(envText);
      results.push({ name: 'BackendMTU', ...mtuOutcome(backend, iface, await kernel.readInterfaceMtu(iface), env.mtu) });
    } else {
      results.push({ name: 'BackendMTU', status: 'warn', message: iface === undefined ? 'cannot tell which interface carries the overlay' : 'subnet.env is missing', hint: 'Pass --advertise-address so the MTU can be checked.' });
    }
    for (const result of results) io.check(result);
    ctx.backendChecks = results;
    const failed = results.find((r) => r.status === 'fail');
    if (failed) throw new IgniteError('conflict', `${failed.name}: ${failed.message}`, { hint: failed.hint ?? 'See `docker logs ignite-flannel`.' });
    const subnet = required(ctx.subnet, 'subnet');
    if (ctx.store) {
      const [leases, revision] = await Promise.all([ctx.store.listLeases().catch(() => []), ctx.store.configRevision().catch(() => undefined)]);
      ctx.rejoin = hostsToRejoin(leases, backend, revision, ctx.advertise?.address).map(({ lease, why }) => `${lease.publicIP} (${lease.subnet}, ${why})`);
    }
    return { detail: `${describeBackend(backend)}, lease ${subnet}: ${results.map((r) => r.message).join('; ')}` };
  },
};
