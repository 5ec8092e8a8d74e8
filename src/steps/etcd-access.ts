import type { EtcdAuth } from '../adapters/etcd/auth.js';
import type { EtcdTls } from '../adapters/etcd/tls.js';
import type { HostFiles, Services } from '../adapters/services.js';
import { ETCD_SERVER_NAME, pkiLayout } from '../pki/layout.js';
import { readHostIdentity } from './auth.js';

/**
 * How this host's own commands (status, doctor, cleanup, join again) reach a secure overlay's etcd:
 * the CA init or join left here, and root's credential on the init host, else this host's own
 * identity (flannel's: it may read the config and the leases, and release its own). Nothing on an
 * insecure host.
 */
export async function etcdAccess(files: HostFiles, stateDir: string): Promise<{ tls?: EtcdTls; auth?: EtcdAuth }> {
  const layout = pkiLayout(stateDir);
  const caPem = await files.readIfExists(layout.flannelTls.ca);
  if (caPem === undefined) return {};
  const rootText = await files.readIfExists(layout.rootCredential);
  let auth: EtcdAuth | undefined;
  if (rootText !== undefined) {
    try {
      auth = JSON.parse(rootText) as EtcdAuth;
    } catch {
      auth = undefined;
    }
  }
  auth ??= await readHostIdentity(files, layout);
  return { tls: { caPem, serverName: ETCD_SERVER_NAME }, ...(auth ? { auth } : {}) };
}

/**
 * Reads the network config once as `auth` (none: anonymously) over TLS pinned to `caPem`: what an
 * identity is let do, or whether etcd refuses a call without credentials. The error is the answer.
 */
export async function readConfigAs(
  services: Pick<Services, 'etcd'>,
  endpoint: string,
  caPem: string,
  auth: EtcdAuth | undefined,
  timeoutMs: number,
): Promise<'answered' | Error> {
  const store = services.etcd(endpoint, { timeoutMs, tls: { caPem, serverName: ETCD_SERVER_NAME }, ...(auth ? { auth } : {}) });
  try {
    await store.getConfig();
    return 'answered';
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    store.close();
  }
}
