import dgram from 'node:dgram';
import net from 'node:net';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import { bracketHost } from '../net/host-arg.js';

/**
 * Network probes: the only place that opens sockets to check reachability or port use. Every probe
 * is bounded by a timeout and always closes what it opened.
 */

export type TcpFailureReason = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error';

export type TcpProbeResult =
  | { ok: true; rttMs: number }
  | { ok: false; reason: TcpFailureReason; message: string };

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const where = `${bracketHost(host)}:${port}`;
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (result: TcpProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'timeout', message: `no answer from ${where} within ${formatDuration(timeoutMs)}` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true, rttMs: Math.round((performance.now() - started) * 100) / 100 }));
    socket.once('error', (error) => {
      const code = errnoCode(error);
      if (code === 'ECONNREFUSED') finish({ ok: false, reason: 'refused', message: `${where} refused the connection (nothing listens there)` });
      else if (code === 'ETIMEDOUT') finish({ ok: false, reason: 'timeout', message: `connecting to ${where} timed out` });
      else if (code !== undefined && UNREACHABLE.has(code)) finish({ ok: false, reason: 'unreachable', message: `${where} is unreachable (${code})` });
      else if (code === 'ECONNRESET') finish({ ok: false, reason: 'reset', message: `${where} reset the connection` });
      else finish({ ok: false, reason: 'error', message: `cannot connect to ${where}: ${error.message}` });
    });
  });
}

/**
 * - 'rejected': the host answered with ICMP port-unreachable, so it is up but nothing listens there
 *   (or a firewall REJECTs with that code);
 * - 'silent': no answer within the timeout: something listens and ignores us, or packets are dropped;
 * - 'answered': a datagram came back;
 * - 'unreachable': ICMP host/network unreachable (or no route), the host itself is not reachable.
 */
export type UdpProbeResult = 'rejected' | 'silent' | 'answered' | 'unreachable';

/**
 * Sends datagrams from a connected UDP socket. Only a connected socket gets ICMP errors from the
 * kernel: Linux queues ECONNREFUSED on it, and Node reports it as an 'error' event (syscall recvmsg)
 * because libuv's pending read picks it up; a later send does not fail, the error is consumed by that
 * read. The datagram is repeated a few times within the timeout because ICMP replies are rate-limited
 * and, off loopback, a single datagram or its answer may be lost.
 */
export function udpProbe(host: string, port: number, timeoutMs: number): Promise<UdpProbeResult> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (result: UdpProbeResult): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      try {
        socket.close();
      } catch {
        // already closed by a failed connect
      }
      resolve(result);
    };
    socket.on('error', (error) => {
      const code = errnoCode(error);
      if (code === 'ECONNREFUSED') finish('rejected');
      else if (code !== undefined && UNREACHABLE.has(code)) finish('unreachable');
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') finish('unreachable');
      // Anything else (e.g. EMSGSIZE) says nothing about the peer; keep waiting for the timeout.
    });
    socket.on('message', () => finish('answered'));
    const payload = Buffer.from('ignite-net probe\n');
    const send = (): void => {
      if (settled) return;
      socket.send(payload, (error) => {
        const code = errnoCode(error);
        if (code === 'ECONNREFUSED') finish('rejected');
        else if (code !== undefined && UNREACHABLE.has(code)) finish('unreachable');
      });
    };
    socket.connect(port, host, () => {
      send();
      for (const fraction of [0.25, 0.5]) timers.push(setTimeout(send, Math.floor(timeoutMs * fraction)));
    });
    // Silence is decided after the event loop's next poll: a rejection that arrived while the thread was
    // busy (a module loading beside the wait) is read first, as it would have been on time.
    timers.push(setTimeout(() => setImmediate(() => finish('silent')), timeoutMs));
  });
}

function bindProblem(protocol: 'tcp' | 'udp', host: string, port: number, error: unknown): IgniteError {
  const code = errnoCode(error) ?? 'unknown error';
  const where = `${bracketHost(host)}:${port}/${protocol}`;
  if (code === 'EACCES' || code === 'EPERM') {
    return new IgniteError('permission', `Not allowed to bind ${where} (${code})`, {
      hint: 'Ports below 1024 need root or CAP_NET_BIND_SERVICE; run ignite-net with sudo.',
      cause: error,
    });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new IgniteError('preflight', `Cannot check ${where}: ${host} is not an address of this host`, {
      hint: 'Pick an address shown by `ip addr`, or check --advertise-address.',
      cause: error,
    });
  }
  return new IgniteError('preflight', `Cannot check whether ${where} is free (${code})`, { cause: error });
}

/** True when nothing holds the port. EADDRINUSE means taken; other bind errors are thrown as IgniteError. */
export function isTcpPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error) => {
      if (errnoCode(error) === 'EADDRINUSE') resolve(false);
      else reject(bindProblem('tcp', host, port, error));
    });
    // exclusive: in a cluster worker Node would otherwise share the primary's handle and never see EADDRINUSE.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function isUdpPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
    socket.once('error', (error) => {
      socket.close();
      if (errnoCode(error) === 'EADDRINUSE') resolve(false);
      else reject(bindProblem('udp', host, port, error));
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}
