import type { Options } from '../options.js';
import { interruptedError } from '../core/errors.js';
import type { DockerClient } from './docker/client.js';
import { dockerOnDemand } from './docker/connect.js';
import { openEtcdAdmin, type EtcdAdmin } from './etcd/admin.js';
import { openEtcdMembers, type EtcdMembers } from './etcd/members.js';
import { openEtcd, type EtcdStore, type EtcdStoreOptions } from './etcd/store.js';
import * as cniBinaries from './cni-binaries.js';
import * as hostFiles from './host-files.js';
import * as hostKernel from './host-kernel.js';
import * as hostNetwork from './host-network.js';
import * as ipTools from './ip-tools.js';
import * as ipamStore from './ipam-store.js';
import * as probes from './probes.js';
import * as raftProbe from './raft-probe.js';
import * as tlsProbe from './tls-probe.js';
import * as state from './state.js';
import { loadTemplate } from './templates.js';
import { pollingWaiter, type Clock, type Waiter } from './wait.js';
import type { DryRunLedger } from './dry-run/ledger.js';

/**
 * Everything a command does to or learns from the host goes through one of these. They are built in
 * one place (hostServices) from the options; steps never open connections or touch the host
 * themselves, so a fake set makes a step unit-testable and a recording set is a dry run.
 */
export interface Services {
  /** The Docker Engine, connected and pinged on first use, once per command (a failure is kept too, unless retryDocker). */
  docker(): Promise<DockerClient>;
  /** An etcd client; the caller closes it (or leaves it to the command's end, see `closeAll`). */
  etcd(endpoints: string | readonly string[], options: EtcdStoreOptions): EtcdStore;
  /** etcd's user, role and auth management; root's credentials once auth is on. */
  etcdAdmin(endpoints: string | readonly string[], options: EtcdStoreOptions): EtcdAdmin;
  /** etcd's member API (docs/ha.md): listing needs no credential, changes need root's. */
  etcdMembers(endpoints: string | readonly string[], options: EtcdStoreOptions): EtcdMembers;
  files: HostFiles;
  /** CNI plugin binaries: the bin dir's, the host package's (sourceDirs), installing and asking their VERSION. */
  cniBinaries: CniBinaries;
  network: HostNetwork;
  /** host-local's store of our network, and what tells whether an allocation's owner still exists. */
  ipam: IpamStore;
  kernel: HostKernel;
  probes: Probes;
  state: StateFiles;
  clock: Clock;
  /** How steps wait for what an earlier step started (flannel's lease); a dry run's does not wait. */
  waiter: Waiter;
  /** Only on a dry run's set (adapters/dry-run): the changes its recording adapters stood in for. */
  dryRun?: DryRunLedger;
  /** Closes what the services opened (etcd clients); idempotent. */
  closeAll(): void;
}

export type HostFiles = Pick<
  typeof hostFiles,
  'readIfExists' | 'exists' | 'writeFileAtomic' | 'ensureDir' | 'removeFile' | 'moveFile' | 'directoryWritableProblem' | 'isCharDevice' | 'listDir' | 'removeTree' | 'modifiedAt' | 'watchDir' | 'fileMode'
> & {
  /** The text of the conflist template ignite-net ships (templates/), for cni/conflist.ts to render. */
  conflistTemplate(): Promise<string>;
};
export type CniBinaries = Pick<typeof cniBinaries, 'sourceDirs' | 'readBinary' | 'isReadable' | 'hashFile' | 'writeExecutable' | 'pluginVersion' | 'probePlugins'> &
  Pick<typeof hostFiles, 'ensureDir' | 'removeFile' | 'moveFile'>;
export type HostNetwork = Pick<typeof hostNetwork, 'readAddresses' | 'readRoutes' | 'hostName'> & Pick<typeof ipTools, 'listLinks' | 'deleteLink' | 'listTable' | 'iptables' | 'routeGet' | 'deleteRoute'>;
export type IpamStore = Pick<typeof ipamStore, 'readStore' | 'listIgniteVms' | 'netnsAddresses' | 'releaseAllocations'>;
export type HostKernel = Pick<typeof hostKernel, 'readProcValue' | 'readInterfaceMtu' | 'readIptablesForward' | 'listFiles' | 'processStartedAt'>;
export type Probes = Pick<typeof probes, 'tcpProbe' | 'udpProbe' | 'isTcpPortFree' | 'isUdpPortFree'> & Pick<typeof tlsProbe, 'fetchPresentedCa'> & Pick<typeof raftProbe, 'probeRaftPeer'>;
export type StateFiles = Pick<typeof state, 'readState' | 'writeState' | 'removeState' | 'readLeaseCache' | 'writeLeaseCache' | 'acquireLock'>;

export type { Clock, Waiter } from './wait.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(interruptedError());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(interruptedError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface HostServicesOptions {
  /** How long the Docker ping may take (status answers quickly; commands wait longer). */
  dockerPingTimeoutMs?: number;
  /** Forget a failed Docker connection, so the next docker() tries again (status --watch). */
  retryDocker?: boolean;
}

/** The real services for one command, from its options. */
export function hostServices(options: Pick<Options, 'dockerHost' | 'dockerHostSource'>, env: NodeJS.ProcessEnv = process.env, tuning: HostServicesOptions = {}): Services {
  const stores: Pick<EtcdStore, 'close'>[] = [];
  return {
    docker: dockerOnDemand(options, { env, retry: tuning.retryDocker === true, ...(tuning.dockerPingTimeoutMs === undefined ? {} : { pingTimeoutMs: tuning.dockerPingTimeoutMs }) }),
    etcd(endpoints, storeOptions) {
      const store = openEtcd(endpoints, storeOptions);
      stores.push(store);
      return store;
    },
    etcdAdmin(endpoints, storeOptions) {
      const admin = openEtcdAdmin(endpoints, storeOptions);
      stores.push(admin);
      return admin;
    },
    etcdMembers(endpoints, storeOptions) {
      const members = openEtcdMembers(endpoints, storeOptions);
      stores.push(members);
      return members;
    },
    files: { ...hostFiles, conflistTemplate: () => loadTemplate() },
    cniBinaries: { ...cniBinaries, ensureDir: hostFiles.ensureDir, removeFile: hostFiles.removeFile, moveFile: hostFiles.moveFile },
    network: { ...hostNetwork, ...ipTools },
    ipam: ipamStore,
    kernel: hostKernel,
    probes: { ...probes, ...tlsProbe, ...raftProbe },
    state,
    clock: systemClock,
    waiter: pollingWaiter,
    closeAll() {
      for (const store of stores.splice(0)) store.close();
    },
  };
}
