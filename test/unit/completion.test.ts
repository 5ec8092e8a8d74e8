/**
 * `ignite-net completion bash|zsh|fish` (issue 14): generated from the one option table, so every
 * option of every command is in each shell's script; each script parses in its shell (bash -n,
 * zsh -n; fish is not installed here, its lines are checked by shape), and bash's really completes
 * (the function run with COMP_WORDS as bash sets them); a bad shell name is a one-line error.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { parseArgs } from '../../src/args.js';
import { completionEntries, completionScript, valueKind } from '../../src/completion.js';
import { COMMAND_SPECS, COMPLETION_SHELLS, OPTION_SPECS } from '../../src/help.js';
import { COMMANDS } from '../../src/options.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'ignite-net-completion-'));
test.after.always(() => rm(dir, { recursive: true, force: true }));

async function saved(shell: (typeof COMPLETION_SHELLS)[number]): Promise<string> {
  const path = join(dir, `ignite-net.${shell}`);
  await writeFile(path, completionScript(shell));
  return path;
}

/** The command's case of the bash script: `    init) opts="…"; words="…" ;;`. */
function bashCase(script: string, command: string): { opts: string[]; words: string[] } {
  const match = new RegExp(`^ {4}${command}\\) opts="([^"]*)"; words="([^"]*)" ;;$`, 'm').exec(script);
  if (!match) throw new Error(`no case for ${command}`);
  return { opts: (match[1] ?? '').split(' ').filter(Boolean), words: (match[2] ?? '').split(' ').filter(Boolean) };
}

test('every option of the table, for exactly its commands, is in each shell\'s script', (t) => {
  const bash = completionScript('bash');
  const zsh = completionScript('zsh');
  const fish = completionScript('fish');
  for (const command of COMMANDS) {
    const options = OPTION_SPECS.filter((o) => o.commands.includes(command));
    t.deepEqual(bashCase(bash, command).opts.sort(), options.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]).sort(), `bash ${command}`);
    const zshCase = new RegExp(`^ {6}${command}\\)\\n([\\s\\S]*?)\\n {8};;$`, 'm').exec(zsh)?.[1] ?? '';
    const zshLongs = [...zshCase.matchAll(/--([a-z-]+)(?=[[,}])/g)].map((m) => m[1]);
    t.deepEqual([...new Set(zshLongs)].sort(), options.map((o) => o.name).sort(), `zsh ${command}`);
    const fishLongs = [...fish.matchAll(new RegExp(`^complete -c ignite-net -n '__fish_seen_subcommand_from ${command}' -l ([a-z-]+)`, 'gm'))].map((m) => m[1]);
    t.deepEqual(fishLongs.sort(), options.map((o) => o.name).sort(), `fish ${command}`);
  }
  for (const option of OPTION_SPECS) {
    for (const script of [bash, zsh, fish]) t.true(script.includes(option.name), option.name);
  }
});

test('every command, its words and the enum values are offered; the words are ones args.ts accepts', (t) => {
  const bash = completionScript('bash');
  for (const entry of completionEntries()) {
    for (const script of [bash, completionScript('zsh'), completionScript('fish')]) t.true(script.includes(entry.name), entry.name);
    t.deepEqual(bashCase(bash, entry.name).words, [...entry.words]);
  }
  for (const command of COMMANDS) {
    for (const word of COMMAND_SPECS[command].words ?? []) {
      const parsed = (() => {
        try {
          return parseArgs([command, word, ...(word === 'delete' ? ['abc123'] : word === 'revoke' ? ['192.0.2.3'] : [])], {});
        } catch (error) {
          return error;
        }
      })();
      t.like(parsed, { kind: 'run' }, `${command} ${word}`);
    }
  }
  t.deepEqual(valueKind(OPTION_SPECS.find((o) => o.name === 'backend')!), { kind: 'choices', choices: ['udp', 'vxlan', 'host-gw', 'wireguard'] });
  t.deepEqual(valueKind(OPTION_SPECS.find((o) => o.name === 'pull')!), { kind: 'choices', choices: ['missing', 'always', 'never'] });
  t.deepEqual(valueKind(OPTION_SPECS.find((o) => o.name === 'cni-conf-dir')!), { kind: 'dir' });
  t.deepEqual(valueKind(OPTION_SPECS.find((o) => o.name === 'ca-cert-hash')!), { kind: 'free' });
  t.is(valueKind(OPTION_SPECS.find((o) => o.name === 'yes')!), undefined);
});

test('the bash and zsh scripts parse (bash -n, zsh -n); the fish one is made of complete lines', async (t) => {
  await t.notThrowsAsync(run('bash', ['-n', await saved('bash')]));
  await t.notThrowsAsync(run('zsh', ['-n', await saved('zsh')]));
  // zsh: loaded after compinit, it registers itself for ignite-net.
  const registered = await run('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d ${join(dir, 'zcompdump')} && source ${await saved('zsh')} && print -r -- $_comps[ignite-net]`]);
  t.is(registered.stdout.trim(), '_ignite_net');
  for (const line of completionScript('fish').trimEnd().split('\n')) {
    // Single-quoted words with \\ and \' escapes only, as fish reads them.
    t.regex(line, /^(#.*|complete -c ignite-net( (-[a-zA-Z]|--?[a-z-]+|[a-z_-]+|'([^'\\]|\\['\\])*'|\([a-z_]+\)))*)$/, line);
  }
});

/** What bash's completion offers for a command line; the last word is the one being completed. */
async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const array = words.map((w) => `'${w}'`).join(' ');
  const { stdout } = await run('bash', ['-c', `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _ignite_net; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script]);
  return stdout.split('\n').filter(Boolean).sort();
}

test('bash completes commands, words, options per command and enum values', async (t) => {
  const script = await saved('bash');
  t.deepEqual(await bashComplete(script, ['ignite-net', 'to']), ['token']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'c']), ['cleanup', 'completion']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'token', '']), ['create', 'delete', 'list']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'completion', '']), ['bash', 'fish', 'zsh']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'init', '--back']), ['--backend', '--backend-port']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'init', '--backend', '']), ['host-gw', 'udp', 'vxlan', 'wireguard']);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'join', '--pull', 'n']), ['never']);
  // The value after an option is not the command: --timeout 30 init is still init.
  t.deepEqual(await bashComplete(script, ['ignite-net', '--timeout', '30', 'init', '--insec']), ['--insecure']);
  // Options of logs only: --json and --tail, not init's --backend.
  const logs = await bashComplete(script, ['ignite-net', 'logs', '--']);
  t.true(logs.includes('--json') && logs.includes('--tail') && logs.includes('--follow'), logs.join(' '));
  t.false(logs.includes('--backend'));
  // After logs' one word, no more words.
  t.deepEqual(await bashComplete(script, ['ignite-net', 'logs', 'etcd', '']), []);
  t.deepEqual(await bashComplete(script, ['ignite-net', 'init', '--advertise-address', '']), [], 'a free value: nothing offered');
});

test('the CLI prints the script; a bad shell, none, or an option is a one-line error with a hint, exit 2', async (t) => {
  const cli = ['--import', 'tsx', join(root, 'src', 'cli.ts')];
  const ok = await run(process.execPath, [...cli, 'completion', 'bash']);
  t.is(ok.stdout, completionScript('bash'));
  const help = await run(process.execPath, [...cli, 'completion', '--help']);
  t.regex(help.stdout, /^Usage: ignite-net completion bash\|zsh\|fish$/m);
  t.regex((await run(process.execPath, [...cli, 'help', 'completion'])).stdout, /^Usage: ignite-net completion /);
  t.regex((await run(process.execPath, [...cli, '--help'])).stdout, /^ {2}completion bash\|zsh\|fish +Print a shell completion script/m);
  for (const [args, message] of [
    [['completion', 'tcsh'], 'error: no completion for the shell "tcsh"'],
    [['completion'], 'error: completion needs the shell: bash, zsh or fish'],
    [['completion', 'bash', 'zsh'], 'error: completion takes one shell (got bash zsh)'],
    [['completion', 'bash', '--json'], 'error: completion takes no options (got --json)'],
  ] as const) {
    const error = await run(process.execPath, [...cli, ...args]).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    t.is(error?.code, 2, args.join(' '));
    t.is(error?.stdout, '');
    t.deepEqual(error?.stderr.split('\n'), [message, 'hint: Use one of: ignite-net completion bash, ignite-net completion zsh, ignite-net completion fish (e.g. source <(ignite-net completion bash)).', '']);
  }
});
