import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { formatDuration } from '../core/duration.js';
import { IgniteError } from '../core/errors.js';
import { caPin } from '../pki/inspect.js';

/**
 * Trust on first use, pinned: fetches the certificate chain a TLS server presents WITHOUT trusting it,
 * so that the caller can check the chain's root against the pin the join token carries before it
 * trusts (and sends a secret to) that server. Nothing is sent but a TLS ClientHello.
 */

export interface PresentedCa {
  /** The self-signed root at the end of the presented chain, PEM. */
  caPem: string;
  pin: string;
  /** When the server's own certificate expires. */
  serverCertExpiresAt: Date;
}

export async function fetchPresentedCa(host: string, port: number, timeoutMs: number): Promise<PresentedCa> {
  const chain = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
    // rejectUnauthorized: false is the point: the pin, not a trust store, decides.
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(isName(host) ? { servername: host } : {}) }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.destroy();
      resolve(peer);
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new IgniteError('timeout', `no TLS answer from ${host}:${port} within ${formatDuration(timeoutMs)}`, { hint: `Is ${port}/tcp open between the hosts?` }));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const plain = error.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(error.message);
      reject(
        new IgniteError('peer', plain ? `${host}:${port} does not speak TLS` : `TLS handshake with ${host}:${port} failed (${error.code ?? error.message})`, {
          hint: plain
            ? `Its etcd serves plain HTTP: an overlay made with \`ignite-net init --insecure\` (or by ignite-net 0.1) is joined without --token, or run \`ignite-net init\` there again to secure it.`
            : `Is ${host} initialised with \`ignite-net init\`?`,
        }),
      );
    });
  });
  const root = rootOf(chain);
  if (root === undefined) {
    throw new IgniteError('peer', `${host}:${port} did not present its CA certificate`, {
      hint: 'Its certificate file must hold the CA after the server certificate, as ignite-net writes it.',
    });
  }
  const caPem = new X509Certificate(root.raw).toString();
  return { caPem, pin: caPin(root.raw), serverCertExpiresAt: new Date(chain.valid_to) };
}

/** The last certificate of the chain, when it is self-signed (node links a root to itself). */
function rootOf(leaf: tls.DetailedPeerCertificate): tls.DetailedPeerCertificate | undefined {
  let cert = leaf;
  for (let depth = 0; depth < 8; depth += 1) {
    const issuer = cert.issuerCertificate as tls.DetailedPeerCertificate | undefined;
    if (issuer === undefined || issuer === null) return undefined;
    if (issuer === cert || issuer.fingerprint256 === cert.fingerprint256) return depth === 0 ? undefined : cert;
    cert = issuer;
  }
  return undefined;
}

const isName = (host: string): boolean => !/^[0-9.]+$/.test(host) && !host.includes(':');
