import https from 'node:https';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';

/**
 * doctor's probe of another etcd member's peer port (docs/ha.md): `GET <peer URL>/raft/probing`, the
 * endpoint etcd's members probe each other with, presenting this host's member certificate (etcd
 * requires a CA-signed one: --peer-client-cert-auth) and verifying the peer's against the CA and the
 * name every member certificate carries. An
 * answer proves 2380/tcp and peer TLS both ways, and carries the member's clock.
 */

export interface PeerTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The name every member certificate carries (pki/layout.ts ETCD_SERVER_NAME). */
  serverName: string;
}

export interface RaftProbe {
  /** The member's clock when it answered. */
  memberNow: Date;
  /** This host's clock (ms since the epoch) when the request was sent and when the answer came. */
  sentAt: number;
  receivedAt: number;
}

export function probeRaftPeer(peerUrl: string, tls: PeerTls, timeoutMs: number): Promise<RaftProbe> {
  const url = new URL('/raft/probing', peerUrl);
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const request = https.get(url, { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, servername: tls.serverName, timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk; // a few dozen bytes; more is not etcd
      });
      response.on('end', () => {
        const receivedAt = Date.now();
        if (response.statusCode !== 200) return reject(new IgniteError('peer', `${peerUrl} answered /raft/probing with HTTP ${response.statusCode ?? '?'}`, { hint: 'Is that an etcd member of this overlay?' }));
        const now = memberClock(body);
        if (now === undefined) return reject(new IgniteError('peer', `${peerUrl} answered /raft/probing without its clock`, { hint: 'Is that an etcd member of this overlay?' }));
        resolve({ memberNow: now, sentAt, receivedAt });
      });
      response.on('error', (error) => reject(failed(peerUrl, error)));
    });
    request.on('timeout', () => request.destroy(new IgniteError('timeout', `no answer from ${url.host} within ${formatDuration(timeoutMs)}`, { hint: `Is 2380/tcp open between the control-plane hosts, and etcd running on ${url.hostname}?` })));
    request.on('error', (error) => reject(error instanceof IgniteError ? error : failed(peerUrl, error)));
  });
}

/** `{"OK":true,"Now":"2026-12-02T10:10:10.123456789Z"}`; Date parses the nanoseconds to milliseconds. */
function memberClock(body: string): Date | undefined {
  try {
    const parsed = JSON.parse(body) as { OK?: unknown; Now?: unknown };
    if (parsed.OK !== true || typeof parsed.Now !== 'string') return undefined;
    const ms = Date.parse(parsed.Now);
    return Number.isFinite(ms) ? new Date(ms) : undefined;
  } catch {
    return undefined;
  }
}

function failed(peerUrl: string, error: Error): IgniteError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const host = new URL(peerUrl).hostname;
  const tlsProblem = /SSL|TLS|CERT|certificate|handshake|alert/i.test(`${code} ${error.message}`);
  return new IgniteError('peer', `${peerUrl} ${tlsProblem ? 'refused peer TLS' : 'is not reachable'} (${code || error.message})`, {
    hint: tlsProblem
      ? "Both members' certificates must come from this overlay's CA (pki/ca.pem): is that host a member of another overlay?"
      : `Is 2380/tcp open between the control-plane hosts, and etcd running on ${host}?`,
    cause: error,
  });
}
