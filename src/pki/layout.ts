import { join } from 'node:path';

/**
 * Where the overlay's keys, certificates and credentials live in the state dir (docs/security.md).
 * `etcdTls` and `flannelTls` are what the containers mount read-only; the CA key and the root
 * credential are never mounted anywhere.
 */
export interface PkiLayout {
  dir: string;
  caCert: string;
  caKey: string;
  rootCredential: string;
  etcdTls: { dir: string; ca: string; cert: string; key: string };
  flannelTls: { dir: string; ca: string; cert: string; key: string; username: string; password: string };
}

export function pkiLayout(stateDir: string): PkiLayout {
  const dir = join(stateDir, 'pki');
  const etcd = join(stateDir, 'etcd-tls');
  const flannel = join(stateDir, 'flannel-tls');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    rootCredential: join(stateDir, 'etcd-root.json'),
    etcdTls: { dir: etcd, ca: join(etcd, 'ca.pem'), cert: join(etcd, 'member.pem'), key: join(etcd, 'member-key.pem') },
    flannelTls: { dir: flannel, ca: join(flannel, 'ca.pem'), cert: join(flannel, 'client.pem'), key: join(flannel, 'client-key.pem'), username: join(flannel, 'etcd-username'), password: join(flannel, 'etcd-password') },
  };
}

/** Keys, passwords and every directory holding them: root only. */
export const SECRET_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

/** Every etcd member certificate carries this name; ignite-net's clients check it (etcd/tls.ts serverName). */
export const ETCD_SERVER_NAME = 'ignite-etcd';
