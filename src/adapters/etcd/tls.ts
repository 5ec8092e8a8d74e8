/**
 * Transport security of the etcd client: the overlay's CA verifies the server. A client certificate
 * is optional (etcd runs without --trusted-ca-file and does not check it; identities are passwords,
 * docs/security.md) and only passed on when given.
 */
import type { IOptions } from 'etcd3';
import { usageError } from '../../core/errors.js';

export interface EtcdTls {
  /** The CA (PEM) the server's certificate must chain to; nothing else is trusted. */
  caPem: string;
  certPem?: string;
  keyPem?: string;
}

export function tlsClientOptions(tls: EtcdTls): Pick<IOptions, 'credentials'> {
  if (!/-----BEGIN CERTIFICATE-----/.test(tls.caPem)) {
    throw usageError('the etcd CA is not a PEM certificate', 'Give the overlay\'s ca.pem (from the init host\'s state directory).');
  }
  if ((tls.certPem === undefined) !== (tls.keyPem === undefined)) {
    throw usageError('an etcd client certificate needs both the certificate and its key');
  }
  return {
    credentials: {
      rootCertificate: Buffer.from(tls.caPem),
      ...(tls.certPem === undefined || tls.keyPem === undefined
        ? {}
        : { certChain: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) }),
    },
  };
}
