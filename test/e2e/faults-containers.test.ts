/**
 * ignite-net's containers dying under a joined overlay (their main process SIGKILLed, as in a crash): Docker's restart policy (unless-stopped)
 * brings them back, flannel rides out etcd being gone, and no lease (nor any other etcd data: a
 * marker key) is lost.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINER_NAMES } from '../../src/defaults.js';
import { describe, hostsWithTestImages, joinArgsFrom, joinCommandOf, runCli, TEST_FLANNEL_FLAGS, TEST_IMAGE_FLAGS } from '../_helpers/cli.js';
import { eventually, getMarker, installCniPlugins, leases, managedContainers, putMarker, readSubnetEnv, waitHealthy, waitStatusHealthy } from '../_helpers/faults.js';
import type { SimHost } from '../_helpers/hosts.js';

const MARKER = '/ignite-net-test/marker';

async function overlay(t: import('ava').ExecutionContext, joined: number): Promise<{ hosts: SimHost[]; subnets: string[] }> {
  const hosts = await hostsWithTestImages(t, 1 + joined);
  const [node1, ...others] = hosts as [SimHost, ...SimHost[]];
  await installCniPlugins(hosts);
  const init = await runCli(node1, ['init', ...TEST_IMAGE_FLAGS]);
  t.is(init.code, 0, describe(init));
  for (const [i, host] of others.entries()) {
    // init's command for the first host; a token is single-use, so the others get their own.
    const joinArgs = i === 0 ? joinCommandOf(init.stdout) : await joinArgsFrom(node1);
    const join = await runCli(host, [...joinArgs, ...TEST_FLANNEL_FLAGS]);
    t.is(join.code, 0, describe(join));
  }
  const subnets = [await waitHealthy(node1, node1, 'init')];
  for (const host of others) subnets.push(await waitHealthy(host, node1, 'joined'));
  await putMarker(node1, node1.address, MARKER, 'kept');
  return { hosts, subnets };
}

/**
 * The container's main process dies (as in a crash or an OOM kill): SIGKILL to the PID Docker reports.
 * Not `docker kill`: dockerd 20.10 counts a kill through its API as a manual stop
 * (HasBeenManuallyStopped), and then no restart policy brings the container back.
 */
async function killMainProcess(host: SimHost, id: string): Promise<void> {
  const pid = (await host.docker.getContainer(id).inspect()).State.Pid;
  if (!pid) throw new Error(`${host.name}: container ${id} has no running process`);
  process.kill(pid, 'SIGKILL');
}

async function containerOf(host: SimHost, name: string): Promise<{ id: string; restartCount: number; startedAt: string; state: string }> {
  const found = (await managedContainers(host)).find((c) => c.name === name);
  if (!found) throw new Error(`${host.name} has no ${name}`);
  return found;
}

/** Every host back with its own subnet, exactly one lease each, the marker kept, status healthy. */
async function assertAllBack(t: import('ava').ExecutionContext, hosts: SimHost[], subnets: string[], after: string): Promise<void> {
  const [node1] = hosts as [SimHost];
  for (const [i, host] of hosts.entries()) {
    t.is(await waitHealthy(host, node1, i === 0 ? 'init' : 'joined'), subnets[i] ?? '?', `${host.name} keeps its subnet after ${after}`);
  }
  const all = await leases(node1, node1.address);
  t.deepEqual([...all.entries()].sort(), hosts.map((h, i) => [subnets[i], h.address]).sort(), `no lease lost or added after ${after}`);
  t.is(await getMarker(node1, node1.address, MARKER), 'kept', `marker key kept after ${after}`);
  for (const [i, host] of hosts.entries()) await waitStatusHealthy(host, subnets[i] ?? '?');
}

test.serial('etcd killed while two hosts are joined: Docker restarts it, flannel everywhere recovers, no lease lost', async (t) => {
  const { hosts, subnets } = await overlay(t, 2);
  const [node1] = hosts as [SimHost];

  const etcd = await containerOf(node1, CONTAINER_NAMES.etcd);
  await killMainProcess(node1, etcd.id);
  const restarted = await eventually('etcd restarted by its restart policy', async () => {
    const now = await containerOf(node1, CONTAINER_NAMES.etcd);
    return now.restartCount > etcd.restartCount && now.state === 'running' ? now : undefined;
  });
  t.is(restarted.id, etcd.id, 'the same container, restarted by Docker');
  await assertAllBack(t, hosts, subnets, 'etcd was killed');

  // A longer outage: etcd stopped for a few seconds. flannel keeps running (or restarts) and keeps
  // its subnet.env; once etcd is back every lease is still there.
  await node1.docker.getContainer(etcd.id).stop({ t: 5 });
  await sleep(4_000);
  for (const [i, host] of hosts.entries()) {
    const flannel = await containerOf(host, CONTAINER_NAMES.flannel);
    t.true(['running', 'restarting'].includes(flannel.state), `${host.name}'s flannel ${flannel.state} while etcd is down`);
    t.is(await readSubnetEnv(host), subnets[i], `${host.name}'s subnet.env kept while etcd is down`);
  }
  await node1.docker.getContainer(etcd.id).start();
  await assertAllBack(t, hosts, subnets, 'etcd was down for seconds');
});

test.serial('flannel killed on the init host and on a joined host: it comes back with the same lease', async (t) => {
  const { hosts, subnets } = await overlay(t, 1);
  for (const host of hosts) {
    const flannel = await containerOf(host, CONTAINER_NAMES.flannel);
    await killMainProcess(host, flannel.id);
    const back = await eventually(`${host.name}: flannel restarted by its restart policy`, async () => {
      const now = await containerOf(host, CONTAINER_NAMES.flannel);
      return now.restartCount > flannel.restartCount && now.state === 'running' ? now : undefined;
    });
    t.is(back.id, flannel.id, 'the same container, restarted by Docker');
    await assertAllBack(t, hosts, subnets, `flannel was killed on ${host.name}`);
  }
});
