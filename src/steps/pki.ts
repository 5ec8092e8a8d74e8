import type { HostFiles } from '../adapters/services.js';
import type { Step, StepIO } from '../core/step.js';
import { createCa, createSelfSignedClient, issueCert, type CertAndKey } from '../pki/certs.js';
import { CERT_WARN_DAYS } from '../pki/facts.js';
import { caPin, certProblem } from '../pki/inspect.js';
import { ETCD_SERVER_NAME, pkiLayout, SECRET_DIR_MODE, SECRET_MODE } from '../pki/layout.js';
import { settled } from '../core/settled.js';
import { required, type CommandContext } from './context.js';

/** A member certificate is issued again this long before it expires (status warns at the same mark). */
export const RENEW_WITHIN_DAYS = CERT_WARN_DAYS;
const MEMBER_VALID_DAYS = 365;

/**
 * Writes a file and declares how to take it back: the previous content when there was one, else
 * removal. Unchanged content is not written (nor undone).
 */
export async function writeWithUndo(files: HostFiles, io: StepIO, path: string, content: string, mode: number): Promise<boolean> {
  const [written] = await writeAllWithUndo(files, io, [{ path, content, mode }]);
  return written === true;
}

export interface FileWrite {
  path: string;
  content: string;
  mode: number;
}

/**
 * writeWithUndo for files that do not depend on each other: read and written side by side (each write
 * waits for its sync to disk, so on a busy disk the waits overlap instead of adding up), their undos
 * declared in the order given, for every file written, before the first error is thrown.
 */
export async function writeAllWithUndo(files: HostFiles, io: StepIO, writes: readonly FileWrite[]): Promise<boolean[]> {
  // Every file read first (a failed read writes none), then the writes started in the order given: a dry run lists them so.
  const befores = await settled(writes.map(({ path }) => files.readIfExists(path)));
  const outcomes = await Promise.allSettled(
    writes.map(async ({ path, content, mode }, i) => {
      const before = befores[i];
      if (before === content) return undefined;
      await files.writeFileAtomic(path, content, mode);
      return { before };
    }),
  );
  const declared: Promise<void>[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const write = writes[i];
    if (write === undefined || outcome.status !== 'fulfilled' || outcome.value === undefined) continue;
    const { path, mode } = write;
    const { before } = outcome.value;
    declared.push(
      io.changed({
        title: before === undefined ? `remove ${path}` : `put back the previous ${path}`,
        run: async () => void (before === undefined ? await files.removeFile(path) : await files.writeFileAtomic(path, before, mode)),
      }),
    );
  }
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  await Promise.all(declared);
  return outcomes.map((o) => o.status === 'fulfilled' && o.value !== undefined);
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
  const member = await memberCertificate(ctx, io, ca, now);
  if (member) await writeAllWithUndo(ctx.services.files, io, member.writes);
  return member?.note;
}

/** What ensureMemberCertificate writes, and its note; undefined when the certificate is kept. */
async function memberCertificate(ctx: CommandContext, io: StepIO, ca: CertAndKey, now: Date): Promise<{ note: string; writes: FileWrite[] } | undefined> {
  const { files, network } = ctx.services;
  const layout = pkiLayout(ctx.options.stateDir);
  const names = [required(ctx.advertise, 'advertise address').address, '127.0.0.1', '::1', network.hostName(), ETCD_SERVER_NAME];
  const member = await files.readIfExists(layout.etcdTls.cert);
  const problem = member === undefined ? 'none yet' : certProblem(member, ca.certPem, names, now, RENEW_WITHIN_DAYS);
  if (problem === undefined) return undefined;
  io.progress(`issuing etcd's certificate for ${names.join(', ')} (${problem})`);
  const issued = await issueCert(ca, { commonName: 'ignite-etcd', usage: 'peer', altNames: names, validDays: MEMBER_VALID_DAYS, now });
  return {
    note: member === undefined ? 'etcd certificate' : `etcd certificate renewed (${problem})`,
    writes: [
      { path: layout.etcdTls.key, content: issued.keyPem, mode: SECRET_MODE },
      { path: layout.etcdTls.cert, content: issued.certPem + ca.certPem, mode: 0o644 },
    ],
  };
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

    // flannel's throwaway pair depends on nothing else: made beside the CA and etcd's certificate.
    const makeClient = async (): Promise<CertAndKey | undefined> =>
      (await readPair(files, layout.flannelTls.cert, layout.flannelTls.key)) === undefined ? createSelfSignedClient('ignite-net flannel', { now }) : undefined;
    const makeCaAndMember = async (): Promise<{ ca: CertAndKey; made: boolean; member: Awaited<ReturnType<typeof memberCertificate>> }> => {
      let ca = await readPair(files, layout.caCert, layout.caKey);
      const made = ca === undefined;
      if (!ca) {
        io.progress('making the overlay CA');
        ca = await createCa('ignite-net overlay CA', { now });
        // Written before etcd's certificate is made, as a dry run lists them (its changes in this order).
        await writeAllWithUndo(files, io, [
          { path: layout.caKey, content: ca.keyPem, mode: SECRET_MODE },
          { path: layout.caCert, content: ca.certPem, mode: 0o644 },
        ]);
      }
      return { ca, made, member: await memberCertificate(ctx, io, ca, now) };
    };
    // The client pair's key generation and signing fill the CA writes' waits for the disk.
    const [{ ca, made, member }, client] = await settled<[Awaited<ReturnType<typeof makeCaAndMember>>, CertAndKey | undefined]>([makeCaAndMember(), makeClient()]);
    const writes: FileWrite[] = [];
    if (made) done.push('new CA');
    if (member) {
      writes.push(...member.writes);
      done.push(member.note);
    }
    writes.push({ path: layout.etcdTls.ca, content: ca.certPem, mode: 0o644 });
    if (client) writes.push({ path: layout.flannelTls.key, content: client.keyPem, mode: SECRET_MODE }, { path: layout.flannelTls.cert, content: client.certPem, mode: 0o644 });
    writes.push({ path: layout.flannelTls.ca, content: ca.certPem, mode: 0o644 });
    await writeAllWithUndo(files, io, writes);

    ctx.security = { caPem: ca.certPem, pin: caPin(ca.certPem) };
    if (done.length === 0) ctx.unchanged.add('pki');
    return { detail: `CA ${ctx.security.pin.slice(0, 19)}…${done.length > 0 ? `, ${done.join(', ')}` : ', unchanged'}` };
  },
};
