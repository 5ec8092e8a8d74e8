import type { Services } from '../services.js';
import type { Waiter } from '../wait.js';
import { recordingDocker } from './docker.js';
import { isNewEtcd, recordingAdmin, recordingMembers, recordingStore } from './etcd.js';
import { FileOverlay, recordingCniBinaries, recordingFiles, recordingIpam, recordingNetwork, recordingState } from './host.js';
import { DryRunLedger } from './ledger.js';

/**
 * A dry run's waiter: it probes once (what is there already is seen as it is) and, when that misses,
 * records what it would wait for and goes on with the wait's stand-in: what it waits for was started
 * by this run, which started nothing.
 */
function recordingWaiter(real: Waiter, ledger: DryRunLedger): Waiter {
  return {
    async waitFor(probe, options) {
      const unobservable = options.unobservable;
      if (unobservable === undefined) return real.waitFor(probe, options);
      const value = await probe(() => undefined).catch(() => undefined);
      if (value !== undefined) return value;
      ledger.record('wait', `wait for ${unobservable.waitingFor} (not observable in a dry run)`);
      return unobservable.standIn;
    },
  };
}

/**
 * kubeadm's dry run, on our services: the same set with every adapter that changes the host swapped
 * for a recording one (adapters/dry-run/*), reads passing through to `real`. Steps run unchanged; what
 * they would change is in `dryRun` (the ledger), and runCommand reports it.
 */
export function dryRunServices(real: Services): Services & { dryRun: DryRunLedger } {
  const ledger = new DryRunLedger();
  const overlay = new FileOverlay();
  // Each recorder's calls through ledger.ordered: changes listed in the order the calls were made.
  const files = ledger.ordered(recordingFiles(real.files, ledger, overlay));
  let docker: Promise<ReturnType<typeof recordingDocker>> | undefined;
  return {
    docker: () => (docker ??= real.docker().then((client) => ledger.ordered(recordingDocker(client, ledger)))).catch((error: unknown) => {
      docker = undefined;
      throw error;
    }),
    etcd: (endpoints, options) => ledger.ordered(recordingStore(real.etcd(endpoints, options), ledger, isNewEtcd(ledger, endpoints))),
    etcdAdmin: (endpoints, options) => ledger.ordered(recordingAdmin(real.etcdAdmin(endpoints, options), ledger, isNewEtcd(ledger, endpoints))),
    etcdMembers: (endpoints, options) => ledger.ordered(recordingMembers(real.etcdMembers(endpoints, options), ledger, isNewEtcd(ledger, endpoints))),
    files,
    cniBinaries: ledger.ordered(recordingCniBinaries(real.cniBinaries, ledger, overlay, files)),
    network: ledger.ordered(recordingNetwork(real.network, ledger)),
    ipam: ledger.ordered(recordingIpam(real.ipam, ledger)),
    kernel: real.kernel,
    probes: real.probes,
    state: ledger.ordered(recordingState(real.state, ledger)),
    clock: real.clock,
    waiter: recordingWaiter(real.waiter, ledger),
    dryRun: ledger,
    closeAll: () => real.closeAll(),
  };
}
