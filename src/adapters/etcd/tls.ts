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
  /**
   * Verify the server's certificate for this DNS name (also sent as SNI) instead of the endpoint's
   * address. With an IP endpoint Node warns on stderr (DEP0123: SNI must not be an IP address);
   * a name in the server certificate's SANs avoids that.
   */
  serverName?: string;
}

/** gRPC's channel option for `serverName`, merged into the client's grpcOptions by connect.ts. */
export const SERVER_NAME_OPTION = 'grpc.ssl_target_name_override';

export function tlsClientOptions(tls: EtcdTls): Pick<IOptions, 'credentials'> & { grpcOptions: Record<string, string> } {
  if (!/-----BEGIN CERTIFICATE-----/.test(tls.caPem)) {
    throw usageError('the etcd CA is not a PEM certificate', 'Give the overlay\'s ca.pem (from the init host\'s state directory).');
  }
  if ((tls.certPem === undefined) !== (tls.keyPem === undefined)) {
    throw usageError('an etcd client certificate needs both the certificate and its key');
  }
  if (tls.serverName !== undefined && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(tls.serverName)) {
    throw usageError(`the etcd server name "${tls.serverName}" is not a DNS name`);
  }
  return {
    grpcOptions: tls.serverName === undefined ? {} : { [SERVER_NAME_OPTION]: tls.serverName },
    credentials: {
      rootCertificate: Buffer.from(tls.caPem),
      ...(tls.certPem === undefined || tls.keyPem === undefined
        ? {}
        : { certChain: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) }),
    },
  };
}
