import test from 'ava';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probePlugins } from '../../src/adapters/cni-binaries.js';
import { conflistCniVersion, describeVersions, evaluatePlugins, pluginFindings, type PluginProbe } from '../../src/cni/plugin-versions.js';

const ANSWER = (cniVersion: string, supported: string[]): string => `echo '${JSON.stringify({ cniVersion, supportedVersions: supported })}'`;

/** Small plugin scripts in a temp dir: each answers VERSION its own way. */
async function binDir(t: { teardown(fn: () => Promise<void>): void }, scripts: Record<string, string | { text: string; mode: number }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ignite-net-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, script] of Object.entries(scripts)) {
    const { text, mode } = typeof script === 'string' ? { text: script, mode: 0o755 } : script;
    await writeFile(join(dir, name), `#!/bin/sh\n${text}\n`);
    await chmod(join(dir, name), mode);
  }
  return dir;
}

test('probePlugins runs each plugin with CNI_COMMAND=VERSION and the asked cniVersion on stdin; a hung, mute or non-executable one gets its reason', async (t) => {
  const dir = await binDir(t, {
    // Answers only when asked with CNI_COMMAND=VERSION and stdin naming 0.4.0 (as libcni asks).
    good: `[ "$CNI_COMMAND" = VERSION ] || exit 7\nread -r line\ncase "$line" in *'"cniVersion":"0.4.0"'*) ${ANSWER('1.0.0', ['0.3.1', '0.4.0', '1.0.0'])} ;; *) exit 9 ;; esac`,
    old: ANSWER('0.3.1', ['0.1.0', '0.2.0', '0.3.0', '0.3.1']),
    hung: 'sleep 30',
    mute: 'exit 0',
    garbage: 'echo not json; exit 1',
    noexec: { text: ANSWER('1.0.0', ['1.0.0']), mode: 0o644 },
  });
  const started = Date.now();
  const probes = await probePlugins(dir, ['good', 'old', 'hung', 'mute', 'garbage', 'noexec', 'absent'], '0.4.0', 300);
  t.true(Date.now() - started < 5_000, 'asked in parallel, the hung one cut off');
  const by = new Map(probes.map((p) => [p.name, p]));
  t.like(by.get('good'), { present: true, version: '1.0.0', supportedVersions: ['0.3.1', '0.4.0', '1.0.0'], path: join(dir, 'good') });
  t.like(by.get('old'), { present: true, version: '0.3.1' });
  t.like(by.get('hung'), { present: true, error: 'no answer within 0.3s' });
  t.like(by.get('mute'), { present: true, error: 'no VERSION answer' });
  t.like(by.get('garbage'), { present: true, error: 'exited 1 without a VERSION answer' });
  t.like(by.get('noexec'), { present: true, error: 'cannot run it (EACCES)' });
  t.deepEqual(by.get('absent'), { name: 'absent', path: join(dir, 'absent'), present: false });
  t.deepEqual(
    pluginFindings(probes, '0.4.0').map((f) => `${f.kind} ${f.name}`),
    ['unsupported old', 'no-answer hung', 'no-answer mute', 'no-answer garbage', 'no-answer noexec', 'missing absent'],
  );
});

const probe = (name: string, version?: string, supported?: string[]): PluginProbe => ({
  name,
  path: `/opt/cni/bin/${name}`,
  present: true,
  ...(version === undefined ? { error: 'no answer within 2s' } : { version }),
  ...(supported ? { supportedVersions: supported } : {}),
});
const ALL = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'];

test('evaluatePlugins: all usable passes with the versions; an unusable plugin fails; a missing one warns with the install command', (t) => {
  const good = [probe('flannel', '1.0.0', ALL), probe('portmap', '1.0.0', ALL), probe('bridge', '0.4.0', ['0.4.0'])];
  const ok = evaluatePlugins(good, '0.4.0', '/opt/cni/bin', 'init');
  t.is(ok.status, 'pass');
  t.is(ok.message, "flannel, portmap (CNI 1.0.0), bridge (CNI 0.4.0) in /opt/cni/bin, all speak the conflist's CNI 0.4.0");

  // An answer without supportedVersions speaks its own version only.
  const unsupported = evaluatePlugins([probe('flannel', '0.3.1'), probe('portmap', undefined)], '0.4.0', '/opt/cni/bin', 'init');
  t.is(unsupported.status, 'fail');
  t.is(unsupported.message, "CNI plugins in /opt/cni/bin that VMs cannot use with the conflist's CNI 0.4.0: flannel (speaks CNI 0.3.1, not 0.4.0), portmap (does not answer VERSION: no answer within 2s)");
  t.regex(unsupported.hint ?? '', /--install-cni-plugins --force/);

  const missing = [probe('flannel', '1.0.0', ALL), { name: 'bridge', path: '/opt/cni/bin/bridge', present: false }];
  const before = evaluatePlugins(missing, '0.4.0', '/opt/cni/bin', 'init');
  t.is(before.status, 'warn');
  t.is(before.message, 'CNI plugins missing from /opt/cni/bin: bridge — every VM start fails until they are there');
  t.regex(before.hint ?? '', /^Run `sudo ignite-net init --install-cni-plugins`/);
  const member = evaluatePlugins(missing, '0.4.0', '/opt/cni/bin', 'join 192.0.2.1');
  t.is(member.status, 'warn');
  t.regex(member.hint ?? '', /^Run `sudo ignite-net join 192\.0\.2\.1 --install-cni-plugins`/);
  t.is(describeVersions(missing), 'flannel (CNI 1.0.0)');
});

test('conflistCniVersion reads the cniVersion of a conflist, nothing from other text', (t) => {
  t.is(conflistCniVersion('{"cniVersion":"0.4.0","name":"cbr0","plugins":[]}'), '0.4.0');
  t.is(conflistCniVersion('{"name":"cbr0"}'), undefined);
  t.is(conflistCniVersion('{"cniVersion":4}'), undefined);
  t.is(conflistCniVersion('not json'), undefined);
  t.is(conflistCniVersion(undefined), undefined);
});
