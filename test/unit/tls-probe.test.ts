import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import test from 'ava';
import { fetchPresentedCa } from '../../src/adapters/tls-probe.js';
import { createCa, issueCert } from '../../src/pki/certs.js';
import { caPin } from '../../src/pki/inspect.js';

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

test('fetchPresentedCa returns the root of the presented chain and its pin, without trusting it', async (t) => {
  const ca = await createCa('ignite-net CA');
  const leaf = await issueCert(ca, { commonName: 'etcd', usage: 'server', altNames: ['127.0.0.1'], validDays: 1 });
  const server = tls.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (s) => s.end());
  const port = await listen(server);
  try {
    const presented = await fetchPresentedCa('127.0.0.1', port, 2_000);
    t.is(presented.pin, caPin(ca.certPem));
    t.is(caPin(presented.caPem), caPin(ca.certPem));
  } finally {
    server.close();
  }
});

test('a server that sends only its own certificate, or speaks plain TCP, is named as such', async (t) => {
  const ca = await createCa('ignite-net CA');
  const leaf = await issueCert(ca, { commonName: 'etcd', usage: 'server', altNames: ['127.0.0.1'], validDays: 1 });
  const leafOnly = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end());
  const plain = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const [leafPort, plainPort] = [await listen(leafOnly), await listen(plain)];
  try {
    await t.throwsAsync(fetchPresentedCa('127.0.0.1', leafPort, 2_000), { message: `127.0.0.1:${leafPort} did not present its CA certificate` });
    const error = await t.throwsAsync(fetchPresentedCa('127.0.0.1', plainPort, 2_000));
    t.regex(error?.message ?? '', /does not speak TLS|TLS handshake .* failed/);
  } finally {
    leafOnly.close();
    plain.close();
  }
});
