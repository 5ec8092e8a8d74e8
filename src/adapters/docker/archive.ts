/**
 * The one file in a tar stream as the Engine's archive endpoint sends it (GET /containers/{id}/archive
 * of a file: one entry, maybe after PAX or GNU long-name headers). A few lines of ustar rather than a
 * tar dependency: only reading one regular file is needed.
 */
const BLOCK = 512;

export type ArchiveFile = { kind: 'file'; name: string; content: Buffer } | { kind: 'link'; name: string; target: string } | { kind: 'other'; name: string; type: string };

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function size(header: Buffer): number {
  // Base-256 (high bit set) is for files over 8 GiB: no CNI plugin is.
  if (((header[124] ?? 0) & 0x80) !== 0) throw new Error('tar: entry too large');
  const text = field(header, 124, 12).trim();
  const value = text === '' ? 0 : Number.parseInt(text, 8);
  if (!Number.isFinite(value)) throw new Error('tar: bad size field');
  return value;
}

/** The first entry that is not a PAX/GNU extension header; throws when the archive has none or is cut short. */
export function firstArchiveEntry(archive: Buffer): ArchiveFile {
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const type = String.fromCharCode(header[156] ?? 0);
    const length = size(header);
    const dataStart = offset + BLOCK;
    if (dataStart + length > archive.length) throw new Error('tar: archive cut short');
    const data = archive.subarray(dataStart, dataStart + length);
    offset = dataStart + Math.ceil(length / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x' || type === 'g' || type === 'K') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      if (path !== undefined) longName = path;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    if (type === '0' || type === '\0' || type === '7') return { kind: 'file', name, content: Buffer.from(data) };
    if (type === '1' || type === '2') return { kind: 'link', name, target: field(header, 157, 100) };
    return { kind: 'other', name, type };
  }
  throw new Error('tar: no entry in the archive');
}
