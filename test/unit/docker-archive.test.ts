/** Reading the one file of an archive-endpoint tar: plain ustar, after a PAX header, a link, a cut archive. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { firstArchiveEntry } from '../../src/adapters/docker/archive.js';
import { writeTar, type TarEntry } from '../_helpers/tar.js';

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-archive-'));
  try {
    await writeTar(join(dir, 'a.tar'), entries);
    return await readFile(join(dir, 'a.tar'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A PAX extended header block as Go's archive/tar writes one ("<len> key=value\n" records). */
function paxHeader(records: Record<string, string>): Buffer {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = rest.length + 2;
      while (String(length).length + rest.length !== length) length += 1;
      return `${length}${rest}`;
    })
    .join('');
  const header = Buffer.alloc(512, 0);
  header.write('PaxHeaders/flannel', 0);
  header.write('0000644\0', 100);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('x', 156);
  header.write('ustar\0', 257);
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512, 0);
  data.write(body);
  return Buffer.concat([header, data]);
}

test('the file of a one-entry archive, as the archive endpoint sends it', async (t) => {
  const content = Buffer.from('#!/bin/sh\necho plugin\n'.repeat(100));
  const entry = firstArchiveEntry(await tarOf([{ type: 'file', path: 'flannel', content, mode: 0o755 }]));
  t.deepEqual(entry, { kind: 'file', name: 'flannel', content });
});

test('a PAX header before the entry is read past (its path wins)', async (t) => {
  const plain = await tarOf([{ type: 'file', path: 'flannel', content: 'bytes' }]);
  const entry = firstArchiveEntry(Buffer.concat([paxHeader({ path: 'flannel-with-a-long-name', mtime: '1.5' }), plain]));
  t.deepEqual(entry, { kind: 'file', name: 'flannel-with-a-long-name', content: Buffer.from('bytes') });
});

test('a symlink, an empty archive and a cut one are told apart', async (t) => {
  t.deepEqual(firstArchiveEntry(await tarOf([{ type: 'symlink', path: 'flannel', target: '/opt/bin/flannel' }])), { kind: 'link', name: 'flannel', target: '/opt/bin/flannel' });
  t.throws(() => firstArchiveEntry(Buffer.alloc(1024, 0)), { message: 'tar: no entry in the archive' });
  const whole = await tarOf([{ type: 'file', path: 'flannel', content: Buffer.alloc(2000, 1) }]);
  t.throws(() => firstArchiveEntry(whole.subarray(0, 1024)), { message: 'tar: archive cut short' });
});
