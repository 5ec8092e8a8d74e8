import type { HostFiles } from '../adapters/services.js';
import type { Step, StepIO } from '../core/step.js';
import { createCa, createSelfSignedClient, issueCert, type CertAndKey } from '../pki/certs.js';
import { CERT_WARN_DAYS } from '../pki/facts.js';
import { caPin, certProblem } from '../pki/inspect.js';
import { ETCD_SERVER_NAME, pkiLayout, SECRET_DIR_MODE, SECRET_MODE } from '../pki/layout.js';
import { required, type CommandContext } from './context.js';

/** A member certificate is issued again this long before it expires (status warns at the same mark). */
export const RENEW_WITHIN_DAYS = CERT_WARN_DAYS;
const MEMBER_VALID_DAYS = 365;

/**
 * Writes a file and declares how to take it back: the previous content when there was one, else
 * removal. Unchanged content is not written (nor undone).
 */
export async function writeWithUndo(files: HostFiles, io: StepIO, path: string, content: string, mode: number): Promise<boolean> {
  const before = await files.readIfExists(path);
  if (before === content) return false;
  await files.writeFileAtomic(path, content, mode);
  await io.changed({
    title: before === undefined ? `remove ${path}` : `put back the previous ${path}`,
    run: async () => void (before === undefined ? await files.removeFile(path) : await files.writeFileAtomic(path, before, mode)),
  });
  return true;
}

async function readPair(files: HostFiles, certPath: string, keyPath: string): Promise<CertAndKey | undefined> {
  const [certPem, keyPem] = await Promise.all([files.readIfExists(certPath), files.readIfExists(keyPath)]);
  return certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined;
}

/**
 * etcd's member certificate for this host's names (both ports; peers check it against the CA), issued
 * again when they change or it nears expiry; the CA follows it in member.pem, so a joining host can read
 * the CA from the handshake and check its pin. What was done, or undefined when it was kept.
 */
export async function ensureMemberCertificate(ctx: CommandContext, io: StepIO, ca: CertAndKey, now: Date): Promise<string | undefined> {
  const { files, network } = ctx.services;
  const layout = pkiLayout(ctx.options.stateDir);
  const names = [required(ctx.advertise, 'advertise address').address, '127.0.0.1', '::1', network.hostName(), ETCD_SERVER_NAME];
  const member = await files.readIfExists(layout.etcdTls.cert);
  const problem = member === undefined ? 'none yet' : certProblem(member, ca.certPem, names, now, RENEW_WITHIN_DAYS);
  if (problem === undefined) return undefined;
  io.progress(`issuing etcd's certificate for ${names.join(', ')} (${problem})`);
  const issued = await issueCert(ca, { commonName: 'ignite-etcd', usage: 'peer', altNames: names, validDays: MEMBER_VALID_DAYS, now });
  await writeWithUndo(files, io, layout.etcdTls.key, issued.keyPem, SECRET_MODE);
  await writeWithUndo(files, io, layout.etcdTls.cert, issued.certPem + ca.certPem, 0o644);
  return member === undefined ? 'etcd certificate' : `etcd certificate renewed (${problem})`;
}

/**
 * init's certificates (docs/security.md): the overlay's CA, kept across runs so the join command's pin
 * never changes; etcd's member certificate for this host's names, issued again when they change or it
 * nears expiry; flannel's throwaway client certificate. Keys are 0600 in 0700 directories.
 */
export const pkiStep: Step<CommandContext> = {
  id: 'pki',
  title: 'Certificates',
  skip: (ctx) => (ctx.options.insecure ? '--insecure: etcd serves plain HTTP' : undefined),
  async run(ctx, io) {
    const { files, clock } = ctx.services;
    const layout = pkiLayout(ctx.options.stateDir);
    const now = new Date(clock.now());
    const done: string[] = [];
    for (const dir of [layout.dir, layout.etcdTls.dir, layout.flannelTls.dir]) {
      if ((await files.ensureDir(dir, SECRET_DIR_MODE)) === 'created') await io.changed({ title: `remove ${dir}`, run: async () => void (await files.removeTree(dir)) });
    }

    let ca = await readPair(files, layout.caCert, layout.caKey);
    if (!ca) {
      io.progress('making the overlay CA');
      ca = await createCa('ignite-net overlay CA', { now });
      await writeWithUndo(files, io, layout.caKey, ca.keyPem, SECRET_MODE);
      await writeWithUndo(files, io, layout.caCert, ca.certPem, 0o644);
      done.push('new CA');
    }

    const renewed = await ensureMemberCertificate(ctx, io, ca, now);
    if (renewed !== undefined) done.push(renewed);
    await writeWithUndo(files, io, layout.etcdTls.ca, ca.certPem, 0o644);

    if ((await readPair(files, layout.flannelTls.cert, layout.flannelTls.key)) === undefined) {
      const client = await createSelfSignedClient('ignite-net flannel', { now });
      await writeWithUndo(files, io, layout.flannelTls.key, client.keyPem, SECRET_MODE);
      await writeWithUndo(files, io, layout.flannelTls.cert, client.certPem, 0o644);
    }
    await writeWithUndo(files, io, layout.flannelTls.ca, ca.certPem, 0o644);

    ctx.security = { caPem: ca.certPem, pin: caPin(ca.certPem) };
    if (done.length === 0) ctx.unchanged.add('pki');
    return { detail: `CA ${ctx.security.pin.slice(0, 19)}…${done.length > 0 ? `, ${done.join(', ')}` : ', unchanged'}` };
  },
};
