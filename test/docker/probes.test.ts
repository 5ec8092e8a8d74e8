import dgram from 'node:dgram';
import net from 'node:net';
import test from 'ava';
import { isTcpPortFree, isUdpPortFree, tcpProbe, udpProbe } from '../../src/adapters/probes.js';

// Loopback only: every socket here binds or connects to 127.0.0.1 / ::1.

async function tcpServer(host = '127.0.0.1'): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function udpSocket(host = '127.0.0.1', onMessage?: (msg: Buffer, rinfo: dgram.RemoteInfo, s: dgram.Socket) => void) {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  if (onMessage) socket.on('message', (msg, rinfo) => onMessage(msg, rinfo, socket));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { socket, port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(resolve)) };
}

/** A port that was just free: bound then released. */
async function closedTcpPort(): Promise<number> {
  const s = await tcpServer();
  await s.close();
  return s.port;
}

async function closedUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = await udpSocket(host);
  await s.close();
  return s.port;
}

test('tcpProbe: open port answers with a round-trip time', async (t) => {
  const server = await tcpServer();
  t.teardown(server.close);
  const result = await tcpProbe('127.0.0.1', server.port, 1000);
  t.true(result.ok);
  if (result.ok) t.true(result.rttMs >= 0 && result.rttMs < 1000);
});

test('tcpProbe: closed port is refused, with a message naming the address', async (t) => {
  const port = await closedTcpPort();
  const result = await tcpProbe('127.0.0.1', port, 1000);
  t.false(result.ok);
  if (!result.ok) {
    t.is(result.reason, 'refused');
    t.true(result.message.includes(`127.0.0.1:${port}`));
  }
});

test('tcpProbe: IPv6 loopback', async (t) => {
  const server = await tcpServer('::1');
  t.teardown(server.close);
  const result = await tcpProbe('::1', server.port, 1000);
  t.true(result.ok);
});

test('udpProbe: closed port is rejected (ICMP port unreachable)', async (t) => {
  const port = await closedUdpPort();
  // A long timeout: a probe that waited for it would answer "silent", and the bound below has room.
  const timeoutMs = 10_000;
  const started = Date.now();
  t.is(await udpProbe('127.0.0.1', port, timeoutMs), 'rejected');
  const took = Date.now() - started;
  t.true(took < timeoutMs / 2, `rejection is reported as soon as it arrives, not at the timeout (took ${took} ms)`);
});

test('udpProbe: closed IPv6 port is rejected', async (t) => {
  const port = await closedUdpPort('::1');
  t.is(await udpProbe('::1', port, 1000), 'rejected');
});

test('udpProbe: a bound socket that never answers is silent', async (t) => {
  let received = 0;
  const silent = await udpSocket('127.0.0.1', () => received++);
  t.teardown(silent.close);
  t.is(await udpProbe('127.0.0.1', silent.port, 300), 'silent');
  t.true(received >= 1, 'the probe datagram reached the socket');
});

test('udpProbe: an echoing socket answered', async (t) => {
  const echo = await udpSocket('127.0.0.1', (msg, rinfo, s) => s.send(msg, rinfo.port, rinfo.address));
  t.teardown(echo.close);
  t.is(await udpProbe('127.0.0.1', echo.port, 1000), 'answered');
});

test('isTcpPortFree: a listening port is taken, also through the wildcard address', async (t) => {
  const server = await tcpServer();
  t.teardown(server.close);
  t.false(await isTcpPortFree(server.port, '127.0.0.1'));
  t.false(await isTcpPortFree(server.port));
});

test('isTcpPortFree: a released port is free', async (t) => {
  t.true(await isTcpPortFree(await closedTcpPort(), '127.0.0.1'));
});

test('isUdpPortFree: bound is taken, released is free', async (t) => {
  const bound = await udpSocket();
  t.teardown(bound.close);
  t.false(await isUdpPortFree(bound.port, '127.0.0.1'));
  t.false(await isUdpPortFree(bound.port));
  t.true(await isUdpPortFree(await closedUdpPort(), '127.0.0.1'));
});

test('port checks: an address this host does not have is an IgniteError, not "taken"', async (t) => {
  // 192.0.2.1 (TEST-NET-1) is only bound to, never sent to: bind() fails locally with EADDRNOTAVAIL.
  const error = await t.throwsAsync(isTcpPortFree(1, '192.0.2.1'));
  t.is((error as { kind?: string }).kind, 'preflight');
  t.regex(error?.message ?? '', /not an address of this host/);
  const udpError = await t.throwsAsync(isUdpPortFree(1, '192.0.2.1'));
  t.is((udpError as { kind?: string }).kind, 'preflight');
});
