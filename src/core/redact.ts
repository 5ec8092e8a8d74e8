/**
 * Secrets out of log lines before ignite-net shows them. flanneld prints every option at start, the
 * etcd password included (`CLI flags config: {… etcdPassword:s3cret …}`), so that field is always
 * redacted; the caller adds the secret values it knows (the host's flannel password), which catches
 * them anywhere else in a line.
 */

export const REDACTED = '[redacted]';

// Go's %+v of flanneld's options: the value runs to the next space or the struct's closing brace.
// An empty value (no password set) is left as it is: it tells the reader no password was given.
const ETCD_PASSWORD_FIELD = /(etcdPassword:)[^ }]+/gi;

export function redactSecrets(line: string, knownSecrets: readonly string[] = []): string {
  let text = line;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...knownSecrets].filter((s) => s !== '').sort((a, b) => b.length - a.length)) {
    text = text.split(secret).join(REDACTED);
  }
  return text.replace(ETCD_PASSWORD_FIELD, `$1${REDACTED}`);
}
