/**
 * A minimal ustar writer, enough to build an image root filesystem for `docker import` (regular files,
 * directories, symlinks; short paths). Written here rather than depending on a tar package the project
 * does not declare.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; /** read from this host path */ source: string }
  | { type: 'file'; path: string; mode?: number; content: string | Buffer }
  | { type: 'symlink'; path: string; target: string };

function header(path: string, typeflag: string, mode: number, size: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512, 0);
  let name = path.replace(/^\/+/, '');
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a slash: up to 155 bytes of prefix, up to 100 of name.
    const cut = name.lastIndexOf('/', 155);
    if (cut < 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${path}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const put = (s: string, off: number, len: number): void => void h.write(s, off, len, 'utf8');
  const oct = (n: number, len: number): string => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(oct(mode & 0o7777, 8), 100, 8);
  put(oct(0, 8), 108, 8); // uid root
  put(oct(0, 8), 116, 8); // gid root
  put(oct(size, 12), 124, 12);
  put(oct(0, 12), 136, 12); // mtime: fixed, so identical inputs give identical layers
  put('        ', 148, 8); // checksum field counts as spaces while summing
  put(typeflag, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** Writes `entries` as a tar archive to `outPath`. */
export async function writeTar(outPath: string, entries: readonly TarEntry[]): Promise<void> {
  const out = createWriteStream(outPath);
  const write = async (buf: Buffer): Promise<void> => {
    if (!out.write(buf)) await once(out, 'drain');
  };
  for (const e of entries) {
    if (e.type === 'dir') {
      await write(header(e.path.replace(/\/?$/, '/'), '5', e.mode ?? 0o755, 0));
    } else if (e.type === 'symlink') {
      await write(header(e.path, '2', 0o777, 0, e.target));
    } else {
      const data = 'source' in e ? await readFile(e.source) : Buffer.from(e.content);
      await write(header(e.path, '0', e.mode ?? 0o644, data.length));
      await write(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad > 0) await write(Buffer.alloc(pad, 0));
    }
  }
  await write(Buffer.alloc(1024, 0));
  out.end();
  await once(out, 'finish');
}
