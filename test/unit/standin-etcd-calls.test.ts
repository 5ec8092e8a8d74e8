import test from 'ava';
import { Etcd3 } from 'etcd3';
import { nextWatchRetryMs, renewLease, WATCH_RETRY_FIRST_MS, WATCH_RETRY_MAX_MS } from '../fixtures/flannel-standin/etcd-calls.js';

interface Call {
  service: string;
  method: string;
  params: Record<string, unknown>;
}

/** An etcd3 client whose every unary call is recorded and answered by `answer`; a stream call throws. */
function recordingClient(answer: (call: Call) => unknown): { etcd: Etcd3; calls: Call[] } {
  const etcd = new Etcd3({ hosts: 'http://127.0.0.1:1' });
  const calls: Call[] = [];
  etcd.mock({
    // etcd3 types exec as generic in its answer; a test double answers whatever the call needs.
    exec: async <T>(service: string, method: string, params: unknown): Promise<T> => {
      const call = { service, method, params: params as Record<string, unknown> };
      calls.push(call);
      return answer(call) as T;
    },
    withConnection: () => {
      throw new Error('a stream call (flanneld renews with unary calls only)');
    },
  });
  return { etcd, calls };
}

const summary = (calls: Call[]): string[][] =>
  calls.map((c) => [c.service, c.method, c.method === 'put' ? `${String(c.params['key'])}=${String(c.params['value'])} lease ${String(c.params['lease'])}` : JSON.stringify(c.params)]);

test("the stand-in renews as flanneld's updateSubnet: a new 24 h lease granted, the key put again under it; no keepalive, the old lease left alone", async (t) => {
  const { etcd, calls } = recordingClient((call) => (call.method === 'leaseGrant' ? { ID: '42', TTL: '86400' } : {}));
  const lease = await renewLease(etcd, '/coreos.com/network/subnets/10.50.31.0-24', '{"PublicIP":"10.0.0.2"}', 86_400);
  t.is(await lease.grant(), '42');
  t.deepEqual(summary(calls), [
    ['Lease', 'leaseGrant', '{"TTL":86400}'],
    ['KV', 'put', '/coreos.com/network/subnets/10.50.31.0-24={"PublicIP":"10.0.0.2"} lease 42'],
  ]);
  etcd.close();
});

test('a renewal whose put fails revokes the lease it was granted, and fails', async (t) => {
  const { etcd, calls } = recordingClient((call) => {
    if (call.method === 'leaseGrant') return { ID: '43', TTL: '86400' };
    if (call.method === 'put') throw new Error('etcdserver: request timed out');
    return {};
  });
  await t.throwsAsync(renewLease(etcd, '/k', 'v', 86_400), { message: 'etcdserver: request timed out' });
  t.deepEqual(summary(calls).map((c) => c.slice(0, 2)), [['Lease', 'leaseGrant'], ['KV', 'put'], ['Lease', 'leaseRevoke']]);
  t.deepEqual(calls[2]?.params, { ID: '43' });
  etcd.close();
});

test('a renewal whose grant fails puts nothing', async (t) => {
  const { etcd, calls } = recordingClient(() => {
    throw new Error('14 UNAVAILABLE: No connection established');
  });
  await t.throwsAsync(renewLease(etcd, '/k', 'v', 86_400), { message: /UNAVAILABLE/ });
  t.deepEqual(summary(calls).map((c) => c.slice(0, 2)), [['Lease', 'leaseGrant']]);
  etcd.close();
});

test("a failed watch is retried as flanneld's watchSubnets: 100 ms, doubling, at most 5 s", (t) => {
  const waits = [WATCH_RETRY_FIRST_MS];
  for (let i = 0; i < 8; i++) waits.push(nextWatchRetryMs(waits[waits.length - 1] ?? 0));
  t.deepEqual(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  t.is(nextWatchRetryMs(WATCH_RETRY_MAX_MS), WATCH_RETRY_MAX_MS);
});
