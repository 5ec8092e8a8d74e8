import { pkiLayout } from '../pki/layout.js';

/**
 * The secret values that may appear in this host's container logs, for the log decoder to redact:
 * flannel's etcd password (flanneld prints it at start). None on an insecure host, and none when the
 * file cannot be read (not root): flanneld's etcdPassword field is redacted all the same.
 */
export async function logSecrets(files: { readIfExists(path: string): Promise<string | undefined> }, stateDir: string): Promise<string[]> {
  const text = await files.readIfExists(pkiLayout(stateDir).flannelTls.password).catch(() => undefined);
  // As the entrypoint's "$(cat …)" reads it: trailing newlines dropped.
  const password = text?.replace(/\n+$/, '');
  return password ? [password] : [];
}
