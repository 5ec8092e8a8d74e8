import { resolve } from 'node:path';
import test from 'ava';
import { parseArgs, parseTimeout } from '../../src/args.js';
import type { ParsedArgs } from '../../src/args.js';
import { COMMANDS, type Options } from '../../src/options.js';
import { IgniteError } from '../../src/core/errors.js';
import { DEFAULT_IMAGES } from '../../src/defaults.js';
import { OPTION_SPECS, commandHelp, globalHelp } from '../../src/help.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): Options => {
  const parsed = parseArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.options;
};

test('init with no options: every default from defaults.ts', (t) => {
  t.deepEqual(run(['init']), {
    command: 'init',
    cniConfDir: '/etc/cni/net.d',
    cniBinDir: '/opt/cni/bin',
    runDir: '/run/flannel',
    cniStateDir: '/var/lib/cni',
    network: { Network: '10.50.0.0/16', SubnetLen: 24, SubnetMin: '10.50.10.0', SubnetMax: '10.50.99.0', Backend: { Type: 'udp', Port: 8285 } },
    etcdImage: DEFAULT_IMAGES.etcd,
    flannelImage: DEFAULT_IMAGES.flannel,
    cniPluginImage: DEFAULT_IMAGES.cniPlugin,
    installCniPlugins: false,
    pull: 'missing',
    yes: false,
    json: false,
    timeoutMs: 60_000,
    ignorePreflightErrors: new Set(),
    force: false,
    insecure: false,
    ttlMs: 86_400_000,
    keepOnFailure: false,
    dryRun: false,
    purge: false,
    stateDir: '/var/lib/ignite-net',
    watch: false,
    intervalMs: 2_000,
    follow: false,
    tail: 100,
    explicit: new Set(),
  });
});

test('init with every init option', (t) => {
  const options = run([
    'init',
    '--docker-host', 'tcp://127.0.0.1:2375',
    '--cni-conf-dir', '/tmp/n1/net.d',
    '--cni-bin-dir=/tmp/n1/bin',
    '--run-dir', '/tmp/n1/flannel',
    '--network', '10.60.0.0/16',
    '--subnet-len', '26',
    '--subnet-min', '10.60.1.0',
    '--subnet-max', '10.60.9.192',
    '--backend-port', '9000',
    '--advertise-address', '192.168.1.2',
    '--etcd-image', 'ignite-test/etcd:3.4',
    '--flannel-image', 'localhost:5000/flannel@sha256:abc',
    '--pull', 'never',
    '-y',
    '--json',
    '--timeout', '2m',
    '--ignore-preflight-errors', 'Port-2379,TunDevice',
    '--ignore-preflight-errors=IsPrivilegedUser',
    '--force',
    '--keep-on-failure',
  ]);
  t.like(options, {
    command: 'init',
    dockerHost: 'tcp://127.0.0.1:2375',
    cniConfDir: '/tmp/n1/net.d',
    cniBinDir: '/tmp/n1/bin',
    runDir: '/tmp/n1/flannel',
    network: { Network: '10.60.0.0/16', SubnetLen: 26, SubnetMin: '10.60.1.0', SubnetMax: '10.60.9.192', Backend: { Type: 'udp', Port: 9000 } },
    advertiseAddress: '192.168.1.2',
    etcdImage: 'ignite-test/etcd:3.4',
    flannelImage: 'localhost:5000/flannel@sha256:abc',
    pull: 'never',
    yes: true,
    json: true,
    timeoutMs: 120_000,
    force: true,
    keepOnFailure: true,
    purge: false,
  });
  t.deepEqual(options.ignorePreflightErrors, new Set(['Port-2379', 'TunDevice', 'IsPrivilegedUser']));
  t.false('host' in options);
});

test('--cni-plugin-image and --install-cni-plugins for init and join; not for cleanup', (t) => {
  t.like(run(['join', '10.0.0.1', '--cni-plugin-image', 'ignite-test/cni:1', '--install-cni-plugins']), { cniPluginImage: 'ignite-test/cni:1', installCniPlugins: true });
  t.like(run(['init', '--install-cni-plugins']), { cniPluginImage: DEFAULT_IMAGES.cniPlugin, installCniPlugins: true });
  const error = t.throws(() => run(['init', '--cni-plugin-image', 'http://x']), { instanceOf: IgniteError });
  t.regex(error?.message ?? '', /^--cni-plugin-image "http:\/\/x" is not an image reference/);
  t.regex(error?.hint ?? '', /flannel-cni-plugin/);
  t.throws(() => run(['cleanup', '--install-cni-plugins']), { message: /not an option of cleanup/ });
});

test('--network alone derives flannel\'s subnet range', (t) => {
  t.like(run(['init', '--network', '172.20.0.0/16']).network, { SubnetLen: 24, SubnetMin: '172.20.1.0', SubnetMax: '172.20.255.0' });
});

test('join takes a host, normalised', (t) => {
  t.is(run(['join', '192.168.1.2']).host, '192.168.1.2');
  t.is(run(['join', '[2001:db8::1]']).host, '2001:db8::1');
  t.is(run(['join', 'Node1.Example']).host, 'node1.example');
  t.is(run(['--json', 'join', '--yes', '192.168.1.2']).host, '192.168.1.2');
  t.is(run(['join', '--', '192.168.1.2']).host, '192.168.1.2');
});

test('join without a host leaves it for later', (t) => {
  const options = run(['join']);
  t.is(options.command, 'join');
  t.is(options.host, undefined);
});

test('--cni-state-dir for cleanup, init and join; not for status', (t) => {
  t.is(run(['cleanup', '--cni-state-dir', 'cni-state']).cniStateDir, resolve('cni-state'));
  t.is(run(['join', '192.168.1.2', '--cni-state-dir=/tmp/n2/cni']).cniStateDir, '/tmp/n2/cni');
  t.true(run(['init', '--cni-state-dir', '/tmp/n1/cni']).explicit.has('cni-state-dir'));
  t.throws(() => run(['status', '--cni-state-dir', '/x']), { message: /^--cni-state-dir is not an option of status/ });
});

test('cleanup --purge', (t) => {
  t.like(run(['cleanup', '--purge', '-y']), { command: 'cleanup', purge: true, yes: true });
});

test('DOCKER_HOST is the fallback for --docker-host; the flag wins', (t) => {
  t.is(run(['init'], { DOCKER_HOST: 'unix:///run/n1/docker.sock' }).dockerHost, 'unix:///run/n1/docker.sock');
  t.is(run(['init', '--docker-host', 'unix:///a.sock'], { DOCKER_HOST: 'unix:///b.sock' }).dockerHost, 'unix:///a.sock');
  t.false('dockerHost' in run(['init'], { DOCKER_HOST: '' }));
  t.false('dockerHost' in run(['init'], {}));
});

test('the Docker host says where it came from, so messages name DOCKER_HOST when the environment set it', (t) => {
  t.like(run(['init'], { DOCKER_HOST: 'unix:///b.sock' }), { dockerHost: 'unix:///b.sock', dockerHostSource: 'DOCKER_HOST' });
  t.like(run(['init', '--docker-host', 'unix:///a.sock'], { DOCKER_HOST: 'unix:///b.sock' }), { dockerHost: 'unix:///a.sock', dockerHostSource: '--docker-host' });
  t.false('dockerHostSource' in run(['init'], {}));
});

test('relative directories are made absolute', (t) => {
  t.is(run(['cleanup', '--cni-conf-dir', 'net.d']).cniConfDir, resolve('net.d'));
});

test('--ignore-preflight-errors all', (t) => {
  t.is(run(['init', '--ignore-preflight-errors', 'all']).ignorePreflightErrors, 'all');
  t.is(run(['init', '--ignore-preflight-errors', 'ALL']).ignorePreflightErrors, 'all');
});

test('timeouts: seconds or durations', (t) => {
  const cases: [string, number][] = [
    ['30', 30_000],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
  ];
  for (const [text, ms] of cases) {
    t.is(parseTimeout(text), ms, text);
    t.is(run(['init', '--timeout', text]).timeoutMs, ms, text);
  }
  t.is(parseTimeout(undefined), 60_000);
});

test('help: global, per command, and `help <command>`', (t) => {
  const global = globalHelp();
  t.deepEqual(parseArgs([], {}), { kind: 'help', text: global });
  t.deepEqual(parseArgs(['--help'], {}), { kind: 'help', text: global });
  t.deepEqual(parseArgs(['-h'], {}), { kind: 'help', text: global });
  t.deepEqual(parseArgs(['help'], {}), { kind: 'help', text: global });
  for (const command of COMMANDS) {
    const expected: ParsedArgs = { kind: 'help', text: commandHelp(command) };
    t.deepEqual(parseArgs([command, '--help'], {}), expected);
    t.deepEqual(parseArgs([command, '-h'], {}), expected);
    t.deepEqual(parseArgs(['--help', command], {}), expected);
    t.deepEqual(parseArgs(['help', command], {}), expected);
  }
});

test('help wins over other mistakes on the same line', (t) => {
  t.deepEqual(parseArgs(['join', '--frobnicate', '--help'], {}), { kind: 'help', text: commandHelp('join') });
  t.deepEqual(parseArgs(['init', '--subnet-len', 'x', '-h'], {}), { kind: 'help', text: commandHelp('init') });
});

test('version', (t) => {
  t.deepEqual(parseArgs(['--version'], {}), { kind: 'version' });
  t.deepEqual(parseArgs(['-v'], {}), { kind: 'version' });
  t.deepEqual(parseArgs(['init', '--version'], {}), { kind: 'version' });
});

const initHint = /^Run `ignite-net init --help` for the options of init\.$/;
const joinHint = /^Run `ignite-net join --help` for the options of join\.$/;
const globalHint = /Run `ignite-net --help` for usage\./;

const bad: [string[], RegExp, RegExp][] = [
  // commands and positionals
  [['frob'], /^unknown command "frob"$/, /Commands are init, join, cleanup, status, doctor, logs, token, hosts, ipam, subnets, completion\./],
  [['--json', 'stats'], /^unknown command "stats"$/, globalHint],
  [['help', 'frob'], /^unknown command "frob"$/, globalHint],
  [['--json'], /^missing command$/, /Put a command first/],
  [['init', '192.168.1.2'], /^init takes no arguments \(got "192\.168\.1\.2"\)$/, /run `ignite-net join 192\.168\.1\.2`/],
  [['init', 'now!'], /^init takes no arguments \(got "now!"\)$/, initHint],
  [['cleanup', 'all'], /^cleanup takes no arguments/, /ignite-net cleanup --help/],
  [['join', '192.168.1.2', '192.168.1.3'], /^join takes one host \(got 2: 192\.168\.1\.2 192\.168\.1\.3\)$/, /ignite-net join 192\.168\.1\.2/],
  [['join', '192.0.2.1:2379'], /has a port/, /Leave out the port/],
  [['join', 'http://node1:2379'], /not a URL/, /builds the etcd URL/],
  [['join', '300.1.1.1'], /is not a valid IPv4 address/, /ignite-net join 192\.168\.1\.2/],
  [['join', '0.0.0.0'], /unspecified/, /where `ignite-net init` ran/],
  // unknown options and misuse
  [['init', '--foo'], /^unknown option --foo$/, initHint],
  [['join', '--foo=1'], /^unknown option --foo$/, joinHint],
  [['init', '-z'], /^unknown option -z$/, initHint],
  [['init', '-yz'], /^unknown option -z$/, initHint],
  [['init', '--no-yes'], /^unknown option --no-yes$/, initHint],
  [['--foo'], /^unknown option --foo$/, globalHint],
  [['init', '--purge'], /^--purge is not an option of init \(it is for cleanup\)$/, initHint],
  [['join', '--network', '10.0.0.0/8'], /^--network is not an option of join \(it is for init, doctor\)$/, joinHint],
  [['join', '--insecure'], /^--insecure is not an option of join \(it is for init\)$/, joinHint],
  [['init', '--certificate-key', 'x'], /^--certificate-key is not an option of init \(it is for join\)$/, initHint],
  [['cleanup', '--advertise-address', '192.168.1.2'], /^--advertise-address is not an option of cleanup \(it is for init, join, doctor\)$/, /cleanup --help/],
  [['cleanup', '--keep-on-failure'], /^--keep-on-failure is not an option of cleanup/, /cleanup --help/],
  [['init', '--yes=no'], /^--yes takes no value \(got "no"\)$/, initHint],
  [['init', '--json=true'], /^--json takes no value/, initHint],
  // missing values
  [['init', '--network'], /^--network needs a value \(<cidr>\)$/, initHint],
  [['init', '--network', '--yes'], /^--network needs a value/, initHint],
  [['init', '--timeout', '-5'], /^--timeout "-5" must be positive$/, /Give seconds/],
  [['join', '192.168.1.2', '--advertise-address'], /^--advertise-address needs a value \(<ip>\)$/, joinHint],
  [['init', '--pull'], /^--pull needs a value \(missing\|always\|never\)$/, initHint],
  [['init', '--network', '10.60.0.0/16', '--network', '10.70.0.0/16'], /^--network is given more than once$/, /Give --network once/],
  // numbers
  [['init', '--subnet-len', 'x'], /^--subnet-len "x" is not a whole number$/, /digits only, e\.g\. --subnet-len 24/],
  [['init', '--subnet-len', '24.5'], /^--subnet-len "24\.5" is not a whole number$/, /--subnet-len/],
  [['init', '--subnet-len', '0x18'], /not a whole number/, /--subnet-len/],
  [['init', '--subnet-len', ''], /not a whole number/, /--subnet-len/],
  [['init', '--subnet-len=-24'], /^--subnet-len "-24" must be positive$/, /--subnet-len 24/],
  [['init', '--subnet-len', '31'], /^SubnetLen 31 does not fit Network 10\.50\.0\.0\/16/, /--subnet-len between 18/],
  [['init', '--subnet-len', '16'], /SubnetLen 16 does not fit/, /--subnet-len/],
  [['init', '--backend-port', '0'], /^Backend\.Port 0 is not a port number$/, /--backend-port as an integer from 1 to 65535/],
  [['init', '--backend-port', '65536'], /Backend\.Port 65536/, /--backend-port/],
  [['init', '--backend-port', 'http'], /^--backend-port "http" is not a whole number$/, /--backend-port 8285/],
  [['init', '--backend-port', '99999999999'], /not a whole number/, /--backend-port/],
  // backends
  [['init', '--backend', 'gre'], /^--backend "gre" is not a flannel backend$/, /Use one of: udp, vxlan, host-gw, wireguard\./],
  [['init', '--backend', 'udp', '--vni', '5'], /^--vni applies to --backend vxlan only, not udp$/, /Drop --vni, or pass --backend vxlan/],
  [['init', '--direct-routing'], /^--direct-routing applies to --backend vxlan only, not udp$/, /--backend vxlan/],
  [['init', '--backend', 'host-gw', '--backend-port', '8285'], /^--backend-port does not apply to --backend host-gw/, /Drop --backend-port/],
  [['init', '--backend', 'vxlan', '--vni', 'one'], /^--vni "one" is not a whole number$/, /--vni 1/],
  [['init', '--backend', 'wireguard', '--backend-port', '65536'], /^Backend\.ListenPort 65536 is not a port number$/, /--backend-port/],
  [['join', '192.168.1.2', '--backend', 'vxlan'], /^--backend is not an option of join/, /join --help/],
  // network
  [['init', '--network', '10.50.1.0/16'], /^--network 10\.50\.1\.0\/16 has host bits set; did you mean 10\.50\.0\.0\/16\?$/, /10\.50\.0\.0\/16/],
  [['init', '--network', '10.50.0.0'], /is not an IPv4 CIDR/, /address\/prefix/],
  [['init', '--network', '10.50.0.0/30'], /too small/, /\/28/],
  [['init', '--network', '127.0.0.0/16'], /overlaps loopback/, /private range/],
  [['init', '--subnet-min', '10.51.0.0'], /SubnetMin 10\.51\.0\.0 is outside Network/, /--subnet-min/],
  [['init', '--subnet-min', '10.50.10.1'], /not on a \/24 boundary; did you mean 10\.50\.10\.0\?/, /--subnet-min/],
  [['init', '--subnet-max', 'x'], /SubnetMax "x" is not a valid IPv4 address/, /--subnet-max/],
  [['init', '--subnet-min', '10.50.100.0', '--subnet-max', '10.50.99.0'], /is above SubnetMax/, /--subnet-min lower/],
  // other values
  [['init', '--pull', 'sometimes'], /^--pull "sometimes" is not a pull policy$/, /missing, always, never/],
  [['init', '--pull', 'Always'], /not a pull policy/, /missing, always, never/],
  [['init', '--timeout', '0'], /^--timeout "0" must be more than zero$/, /30s, 2m or 1m30s/],
  [['init', '--timeout', '0s'], /must be more than zero/, /seconds/],
  [['init', '--timeout', '5x'], /^--timeout "5x" is not a duration$/, /--timeout 90/],
  [['init', '--timeout', '1.5'], /is not a duration/, /seconds/],
  [['init', '--timeout', 's'], /is not a duration/, /seconds/],
  [['init', '--timeout='], /is not a duration/, /seconds/],
  [['init', '--timeout', '30s2m'], /is not a duration/, /seconds/],
  [['init', '--timeout', '25h'], /is longer than 24h/, /seconds/],
  [['init', '--ignore-preflight-errors', ''], /an empty name/, /Port-2379,TunDevice/],
  [['init', '--ignore-preflight-errors', 'Port-2379,,TunDevice'], /an empty name/, /comma/],
  [['init', '--ignore-preflight-errors', 'Port 2379'], /an invalid name "Port 2379"/, /comma/],
  [['init', '--ignore-preflight-errors', 'all,Port-2379'], /"all" cannot be combined/, /either all or a list/],
  [['init', '--ignore-preflight-errors', 'all', '--ignore-preflight-errors', 'TunDevice'], /"all" cannot be combined/, /either all/],
  [['init', '--advertise-address', 'eth0'], /^--advertise-address "eth0" is not a valid IPv4 address$/, /--advertise-address 192\.168\.1\.2/],
  [['join', '--advertise-address', '2001:db8::1'], /is IPv6/, /IPv4/],
  [['init', '--advertise-address', '0.0.0.0'], /other hosts cannot reach it/, /--advertise-address/],
  [['init', '--advertise-address', '192.168.1.2/24'], /is not a valid IPv4 address/, /--advertise-address/],
  [['init', '--docker-host', '/var/run/docker.sock'], /^--docker-host "\/var\/run\/docker\.sock" is not a Docker host URL$/, /unix:\/\/\/var\/run\/docker\.sock/],
  [['init', '--docker-host', 'ftp://x'], /not a Docker host URL/, /tcp:\/\/127\.0\.0\.1:2375/],
  [['init', '--docker-host', 'unix://'], /not a Docker host URL/, /unix:/],
  [['init', '--docker-host', 'ssh://user@host'], /^--docker-host "ssh:\/\/user@host": ssh:\/\/ Docker hosts are not supported yet$/, /TLS and ssh:\/\/ are not supported yet/],
  [['init', '--docker-host', 'tcp://:2375'], /not a Docker host URL/, /tcp:\/\/127\.0\.0\.1:2375/],
  [['init', '--etcd-image', 'my image'], /^--etcd-image "my image" is not an image reference$/, /repository\[:tag\]/],
  [['init', '--etcd-image', ''], /is not an image reference/, /gcr\.io\/etcd-development/],
  [['join', '--flannel-image', 'https://ghcr.io/flannel'], /is not an image reference/, /--flannel-image ghcr\.io/],
  [['join', '--flannel-image', 'flannel:'], /is not an image reference/, /--flannel-image/],
  [['init', '--cni-conf-dir', ''], /^--cni-conf-dir needs a directory path$/, /--cni-conf-dir/],
  [['init', '--run-dir= '], /^--run-dir needs a directory path$/, /--run-dir/],
];
for (const [argv, message, hint] of bad) {
  test(`refuses: ignite-net ${argv.map((a) => (a === '' || a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`, (t) => {
    const error = t.throws(() => parseArgs(argv, {}), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.is(error?.exitCode, 2);
    t.regex(error?.message ?? '', message);
    t.regex(error?.hint ?? '', hint);
    t.false((error?.message ?? '').includes('\n'), 'one-line message');
  });
}

test('a bad DOCKER_HOST is reported as the environment variable', (t) => {
  const error = t.throws(() => parseArgs(['init'], { DOCKER_HOST: 'localhost:2375' }), { instanceOf: IgniteError });
  t.is(error?.message, 'DOCKER_HOST "localhost:2375" is not a Docker host URL');
  t.regex(error?.hint ?? '', /Fix or unset DOCKER_HOST, or pass --docker-host/);
  // The flag overrides a broken environment.
  t.is(run(['init', '--docker-host', 'unix:///x.sock'], { DOCKER_HOST: 'garbage' }).dockerHost, 'unix:///x.sock');
});

test('every option in the table parses on every command it is listed for', (t) => {
  const sample: Record<string, string> = {
    'docker-host': 'unix:///x.sock',
    'cni-conf-dir': '/tmp/a',
    'cni-bin-dir': '/tmp/b',
    'run-dir': '/tmp/c',
    network: '10.60.0.0/16',
    'subnet-len': '24',
    'subnet-min': '10.50.20.0',
    'subnet-max': '10.50.30.0',
    'backend-port': '8285',
    backend: 'vxlan',
    vni: '2',
    'wireguard-mode': 'auto',
    'wireguard-psk-file': '/root/flannel.psk',
    'advertise-address': '192.168.1.2',
    'etcd-image': 'e:1',
    'flannel-image': 'f:1',
    pull: 'always',
    timeout: '10',
    'ignore-preflight-errors': 'all',
    'state-dir': '/tmp/s',
    'etcd-endpoint': 'http://127.0.0.1:2379',
    interval: '5s',
    peer: '192.168.1.2',
    tail: '20',
    token: 'abc123.0123456789abcdef',
    'ca-cert-hash': `sha256:${'0'.repeat(64)}`,
    ttl: '2h',
    subnet: '10.50.40.0/24',
    'certificate-key': 'ab'.repeat(32),
  };
  // The token and the CA pin come together.
  const secret = ['--token', 'abc123.0123456789abcdef', '--ca-cert-hash', `sha256:${'0'.repeat(64)}`];
  const companion: Record<string, string[]> = { vni: ['--backend', 'vxlan'], 'direct-routing': ['--backend', 'vxlan'], 'wireguard-mode': ['--backend', 'wireguard'], 'wireguard-psk-file': ['--backend', 'wireguard'], token: secret.slice(2), 'ca-cert-hash': secret.slice(0, 2), 'certificate-key': [...secret, '--control-plane'] };
  // join --control-plane takes the whole control-plane join command.
  const joinCompanion: Record<string, string[]> = { 'control-plane': [...secret, '--certificate-key', 'ab'.repeat(32)] };
  for (const spec of OPTION_SPECS) {
    if (spec.name === 'help' || spec.name === 'version') continue;
    for (const command of spec.commands) {
      const value = sample[spec.name];
      const head = command === 'token' ? [command, 'create'] : command === 'hosts' ? [command, 'list'] : command === 'ipam' ? [command, 'gc'] : command === 'subnets' ? [command, 'list'] : [command];
      const argv = spec.type === 'boolean' ? [...head, `--${spec.name}`, ...((command === 'join' ? joinCompanion[spec.name] : companion[spec.name]) ?? [])] : [...head, `--${spec.name}`, value ?? 'missing-sample', ...(companion[spec.name] ?? [])];
      t.notThrows(() => run(argv), argv.join(' '));
    }
  }
});

test('global help lists the commands and examples with documentation addresses', (t) => {
  const text = globalHelp();
  for (const command of COMMANDS) t.regex(text, new RegExp(`^  ${command}\\b`, 'm'));
  t.regex(text, /sudo ignite-net join 192\.168\.1\.2/);
  t.regex(text, /ignite-net <command> --help/);
  t.false(/--network/.test(text), 'command options belong to per-command help');
});

test('per-command help lists exactly that command\'s options, with defaults', (t) => {
  for (const command of COMMANDS) {
    const text = commandHelp(command);
    t.true(text.startsWith(`Usage: ignite-net ${command}`), command);
    for (const spec of OPTION_SPECS) {
      // Whole option names: --subnet is not in --subnet-len.
      t.is(new RegExp(`--${spec.name}(?![\\w-])`).test(text), spec.commands.includes(command), `${command} --${spec.name}`);
    }
  }
  const init = commandHelp('init');
  t.regex(init, /--network <cidr>\s+Overlay network for all hosts \(default: 10\.50\.0\.0\/16\)/);
  t.regex(init, /-y, --yes/);
  t.regex(init, /default: 60s/);
  t.regex(commandHelp('join'), /^Arguments:\n  host/m);
  t.regex(commandHelp('cleanup'), /--purge/);
});

test('help lines stay within 100 columns', (t) => {
  for (const text of [globalHelp(), ...COMMANDS.map((c) => commandHelp(c))]) {
    for (const line of text.split('\n')) t.true(line.length <= 100, line);
  }
});

test('join --token and --ca-cert-hash come together and are checked without echoing the secret', (t) => {
  const pin = `sha256:${'ab'.repeat(32)}`;
  const ok = parseArgs(['join', '192.168.1.2', '--token', 'abc123.zyxwvutsrq987654', '--ca-cert-hash', pin], {});
  t.is(ok.kind, 'run');
  if (ok.kind === 'run') t.deepEqual(ok.options.join, { token: { id: 'abc123', secret: 'zyxwvutsrq987654' }, caPin: pin });
  t.throws(() => parseArgs(['join', '192.168.1.2', '--token', 'abc123.zyxwvutsrq987654'], {}), { message: '--token needs --ca-cert-hash too' });
  t.throws(() => parseArgs(['join', '192.168.1.2', '--ca-cert-hash', pin], {}), { message: '--ca-cert-hash needs --token too' });
  const garbled = t.throws(() => parseArgs(['join', '192.168.1.2', '--token', 'abc123.zyxwvutsrq98765', '--ca-cert-hash', pin], {}));
  t.regex(garbled?.message ?? '', /^--token is not a join token/);
  t.false(garbled?.message.includes('zyxwvutsrq') ?? true);
  t.throws(() => parseArgs(['init', '--token', 'abc123.zyxwvutsrq987654'], {}), { message: /--token is not an option of init/ });
});

test('token create|list|delete <id>, with --ttl', (t) => {
  const create = parseArgs(['token', 'create', '--ttl', '2h'], {});
  t.true(create.kind === 'run' && create.options.token?.action === 'create' && create.options.ttlMs === 7_200_000);
  const del = parseArgs(['token', 'delete', 'abc123'], {});
  t.true(del.kind === 'run' && del.options.token?.id === 'abc123');
  t.throws(() => parseArgs(['token'], {}), { message: 'token needs what to do: create, list or delete' });
  t.throws(() => parseArgs(['token', 'make'], {}), { message: 'unknown token action "make"' });
  t.throws(() => parseArgs(['token', 'delete'], {}), { message: 'token delete needs the token id' });
  t.throws(() => parseArgs(['token', 'delete', 'ABC'], {}), { message: '"ABC" is not a token id (6 lower-case letters and digits)' });
  t.throws(() => parseArgs(['token', 'list', 'x'], {}), { message: 'token list takes no more arguments (got "x")' });
  t.throws(() => parseArgs(['token', 'create', '--ttl', '2d'], {}), { message: '--ttl "2d" is not a duration' });
});

test('token create --control-plane: 1h by default, at most 2h; create only', (t) => {
  const ttlOf = (argv: string[]): number | undefined => {
    const parsed = parseArgs(argv, {});
    return parsed.kind === 'run' && parsed.options.token?.controlPlane === true ? parsed.options.ttlMs : undefined;
  };
  t.is(ttlOf(['token', 'create', '--control-plane']), 3_600_000);
  t.is(ttlOf(['token', 'create', '--control-plane', '--ttl', '2h']), 7_200_000);
  t.is(ttlOf(['token', 'create', '--control-plane', '--ttl', '90m']), 5_400_000);
  const plain = parseArgs(['token', 'create', '--ttl', '3h'], {});
  t.true(plain.kind === 'run' && plain.options.token?.controlPlane === undefined && plain.options.ttlMs === 10_800_000);
  const long = t.throws(() => parseArgs(['token', 'create', '--control-plane', '--ttl', '2h1s'], {}));
  t.is(long?.message, '--ttl 2h1s is too long for a control-plane token (at most 2h)');
  t.regex((long as { hint?: string } | undefined)?.hint ?? '', /--ttl 2h or less/);
  t.throws(() => parseArgs(['token', 'list', '--control-plane'], {}), { message: '--control-plane goes with token create, not token list' });
});

test('join --control-plane takes the whole control-plane join command; the certificate key is checked and never echoed', (t) => {
  const secret = ['--token', 'abc123.zyxwvutsrq987654', '--ca-cert-hash', `sha256:${'ab'.repeat(32)}`];
  const key = 'C0'.repeat(32);
  const ok = parseArgs(['join', '192.168.1.2', ...secret, '--control-plane', '--certificate-key', key], {});
  t.true(ok.kind === 'run' && ok.options.controlPlane?.certificateKey === key.toLowerCase() && ok.options.join?.token.id === 'abc123');
  const plain = parseArgs(['join', '192.168.1.2', ...secret], {});
  t.true(plain.kind === 'run' && plain.options.controlPlane === undefined);
  t.throws(() => parseArgs(['join', '192.168.1.2', '--control-plane'], {}), { message: 'join --control-plane needs --token and --ca-cert-hash' });
  t.throws(() => parseArgs(['join', '192.168.1.2', ...secret, '--control-plane'], {}), { message: 'join --control-plane needs --certificate-key' });
  t.throws(() => parseArgs(['join', '192.168.1.2', ...secret, '--certificate-key', key], {}), { message: '--certificate-key goes with --control-plane' });
  const bad = t.throws(() => parseArgs(['join', '192.168.1.2', ...secret, '--control-plane', '--certificate-key', `${key.slice(0, 60)}zzzz`], {}));
  t.is(bad?.message, '--certificate-key is not a certificate key (expected 64 hex digits)');
  t.false(JSON.stringify(bad).includes(key.slice(0, 60)), 'the key is not repeated');
});

test('init/join --subnet and subnets list | reserve <ip> <cidr> | release <ip>', (t) => {
  t.is(run(['init', '--subnet', '10.50.40.0/24']).fixedSubnet, '10.50.40.0/24');
  t.is(run(['init', '--network', '10.60.0.0/16', '--subnet', '10.60.7.0/24']).fixedSubnet, '10.60.7.0/24', "against this init's network");
  t.is(run(['join', '192.168.1.2', '--subnet', '10.77.3.0/24']).fixedSubnet, '10.77.3.0/24', "join: the peer's network decides the rest");
  t.is(run(['init']).fixedSubnet, undefined);
  const refuses = (argv: string[], message: RegExp, hint: RegExp): void => {
    const error = t.throws(() => run(argv));
    t.regex(error?.message ?? '', message, argv.join(' '));
    t.regex((error as { hint?: string } | undefined)?.hint ?? '', hint, argv.join(' '));
    t.false((error?.message ?? '').includes('\n'));
  };
  refuses(['init', '--subnet', '10.50.40.0/25'], /is a \/25: this overlay's subnets are \/24/, /Pass a \/24 inside SubnetMin\.\.SubnetMax/);
  refuses(['init', '--subnet', '10.50.40.9/24'], /not aligned to \/24; did you mean 10\.50\.40\.0\/24\?/, /--subnet 10\.50\.40\.0\/24/);
  refuses(['init', '--subnet', '10.50.3.0/24'], /outside SubnetMin\.\.SubnetMax/, /10\.50\.10\.0\.\.10\.50\.99\.0/);
  refuses(['join', '192.168.1.2', '--subnet', '10.50.40.9/24'], /not aligned/, /--subnet 10\.50\.40\.0\/24/);
  refuses(['cleanup', '--subnet', '10.50.40.0/24'], /--subnet is not an option of cleanup/, /cleanup --help/);
  t.deepEqual(run(['subnets', 'list']).subnets, { action: 'list' });
  t.deepEqual(run(['subnets', 'reserve', '192.168.1.3', '10.50.40.0/24']).subnets, { action: 'reserve', publicIP: '192.168.1.3', subnet: '10.50.40.0/24' });
  t.deepEqual(run(['subnets', 'release', '192.168.1.3']).subnets, { action: 'release', publicIP: '192.168.1.3' });
  refuses(['subnets'], /subnets needs what to do: list, reserve or release/, /subnets reserve <public-ip> <cidr>/);
  refuses(['subnets', 'reserve', '192.168.1.3'], /subnets reserve needs the subnet too/, /e\.g\./);
  refuses(['subnets', 'reserve', 'node3', '10.50.40.0/24'], /"node3" is not an IPv4 address/, /advertise address/);
  refuses(['subnets', 'release'], /needs the host's public IP/, /subnets release <public-ip>/);
  refuses(['subnets', 'release', '192.168.1.3', 'x'], /takes one public IP/, /subnets list/);
  refuses(['subnets', 'drop'], /unknown subnets action "drop"/, /subnets list/);
});

test('hosts list | revoke <host>', (t) => {
  const revoke = parseArgs(['hosts', 'revoke', '192.168.1.3'], {});
  t.true(revoke.kind === 'run' && revoke.options.hosts?.action === 'revoke' && revoke.options.hosts.host === '192.168.1.3');
  t.throws(() => parseArgs(['hosts'], {}), { message: 'hosts needs what to do: list or revoke' });
  t.throws(() => parseArgs(['hosts', 'revoke'], {}), { message: 'hosts revoke needs the host' });
  t.throws(() => parseArgs(['hosts', 'list', 'x'], {}), { message: 'hosts list takes no more arguments (got "x")' });
  t.throws(() => parseArgs(['hosts', 'kick', 'x'], {}), { message: 'unknown hosts action "kick"' });
});

test('a negative --timeout, --ttl or --tail is a value given: it must be positive (not "needs a value")', (t) => {
  const refused = (argv: string[]): IgniteError | undefined => t.throws(() => parseArgs(argv, {}), { instanceOf: IgniteError });
  t.is(refused(['init', '--timeout', '-5'])?.message, '--timeout "-5" must be positive');
  t.is(refused(['token', 'create', '--ttl', '-1h'])?.message, '--ttl "-1h" must be positive');
  const tail = refused(['logs', '--tail', '-1']);
  t.is(tail?.message, '--tail "-1" must be positive (or 0)');
  t.is(tail?.exitCode, 2);
  t.regex(tail?.hint ?? '', /--tail 100/);
  t.is(refused(['init', '--timeout', '--yes'])?.message, '--timeout needs a value (<duration>)', 'an option where a value belongs is still a forgotten value');
  const zero = parseArgs(['logs', '--tail', '0'], {});
  t.is(zero.kind === 'run' ? zero.options.tail : undefined, 0);
});

test('--ignore-preflight-errors refuses a name no check has and lists the known ones (any case is fine, as kubeadm)', (t) => {
  const error = t.throws(() => parseArgs(['init', '--ignore-preflight-errors', 'TunDevice,Bogus'], {}), { instanceOf: IgniteError });
  t.is(error?.message, '--ignore-preflight-errors: no check is named "Bogus"');
  t.regex(error?.hint ?? '', /^Known checks: IsPrivilegedUser, DockerEngine, .*TunDevice.*, EtcdPeer-<member>; or all\.$/);
  const ok = parseArgs(['init', '--ignore-preflight-errors', 'tundevice,Port-2379,EtcdPeer-s1'], {});
  t.deepEqual(ok.kind === 'run' ? [...(ok.options.ignorePreflightErrors as Set<string>)] : [], ['tundevice', 'Port-2379', 'EtcdPeer-s1']);
});
