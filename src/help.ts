/**
 * The one table of commands and options: args.ts parses with it, and the help text is generated
 * from it, so the two cannot drift. Imports only defaults so `--help` stays fast.
 */
import { DEFAULT_IMAGES, DEFAULT_NETWORK, DEFAULT_TIMEOUT_MS, ETCD_VOLUME, PATHS, PULL_POLICIES } from './defaults.js';
import { COMMANDS, type Command } from './options.js';
import { BACKEND_TYPES, DEFAULT_BACKEND_PORTS, DEFAULT_VNI, WIREGUARD_MODES } from './net/backend.js';


export interface OptionSpec {
  /** Long name without the dashes. */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. "<cidr>". */
  value?: string;
  description: string;
  /** Default as shown in help; parsing takes defaults from defaults.ts. */
  default?: string;
  commands: readonly Command[];
  /** May be given more than once; values accumulate. */
  multiple?: boolean;
}

const ALL = COMMANDS;
const SETUP: readonly Command[] = ['init', 'join'];
/** doctor runs init's (or join's) preflight, so it takes the options those checks read. */
const CHECKED: readonly Command[] = ['init', 'join', 'doctor'];
const INIT: readonly Command[] = ['init', 'doctor'];
const CHANGES: readonly Command[] = ['init', 'join', 'cleanup'];

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'docker-host', type: 'string', value: '<url>', commands: ALL, description: 'Docker Engine to use', default: '$DOCKER_HOST, else unix:///var/run/docker.sock' },
  { name: 'cni-conf-dir', type: 'string', value: '<dir>', commands: ALL, description: 'Directory CNI reads network configs from', default: PATHS.cniConfDir },
  { name: 'cni-bin-dir', type: 'string', value: '<dir>', commands: [...CHECKED, 'status'], description: 'Directory holding the CNI plugin binaries', default: PATHS.cniBinDir },
  { name: 'run-dir', type: 'string', value: '<dir>', commands: ALL, description: "Flannel's run directory, where it writes subnet.env", default: PATHS.runDir },
  {
    name: 'cni-state-dir',
    type: 'string',
    value: '<dir>',
    commands: [...CHANGES, 'ipam'],
    description: "Where the CNI plugins keep their state (host-local IPAM in networks/<name>, the flannel plugin in flannel/); cleanup removes our network's",
    default: PATHS.cniStateDir,
  },
  { name: 'network', type: 'string', value: '<cidr>', commands: INIT, description: 'Overlay network for all hosts', default: DEFAULT_NETWORK.network },
  {
    name: 'subnet-len',
    type: 'string',
    value: '<bits>',
    commands: INIT,
    description: "Prefix length of each host's subnet",
    default: `${DEFAULT_NETWORK.subnetLen}, or flannel's rule for another --network`,
  },
  {
    name: 'subnet-min',
    type: 'string',
    value: '<ip>',
    commands: INIT,
    description: 'First subnet flannel may hand out',
    default: `${DEFAULT_NETWORK.subnetMin}, or the second subnet of another --network`,
  },
  {
    name: 'subnet-max',
    type: 'string',
    value: '<ip>',
    commands: INIT,
    description: 'Last subnet flannel may hand out',
    default: `${DEFAULT_NETWORK.subnetMax}, or the last subnet of another --network`,
  },
  { name: 'backend', type: 'string', value: BACKEND_TYPES.join('|'), commands: INIT, description: "flannel's backend: udp copies packets in user space, vxlan encapsulates in the kernel, host-gw routes via the hosts (one layer-2 segment), wireguard encrypts", default: 'udp' },
  { name: 'backend-port', type: 'string', value: '<port>', commands: INIT, description: "UDP port the backend's traffic uses (not host-gw)", default: `udp ${DEFAULT_BACKEND_PORTS.udp}, vxlan ${DEFAULT_BACKEND_PORTS.vxlan}, wireguard ${DEFAULT_BACKEND_PORTS.wireguard}` },
  { name: 'vni', type: 'string', value: '<n>', commands: INIT, description: 'VXLAN network identifier (--backend vxlan)', default: String(DEFAULT_VNI) },
  { name: 'direct-routing', type: 'boolean', commands: INIT, description: 'vxlan: route directly (like host-gw) to hosts on the same subnet, encapsulate only the others' },
  { name: 'wireguard-mode', type: 'string', value: WIREGUARD_MODES.join('|'), commands: INIT, description: "wireguard: flannel's Mode (one device per address family, one for both, or IPv4 only)", default: 'separate' },
  { name: 'wireguard-psk-file', type: 'string', value: '<path>', commands: INIT, description: "wireguard: a 0600 file with a pre-shared key (`wg genpsk`), stored in the network config as flannel's PSK, which every host's flannel can read" },
  { name: 'subnet', type: 'string', value: '<cidr>', commands: SETUP, description: "A subnet this host keeps for good (a fixed subnet): a /SubnetLen inside SubnetMin..SubnetMax that no other host holds; kept across flannel restarts, lost leases and downtime, and by a plain cleanup (a purging one frees it)", default: 'any free subnet, as flannel picks' },
  { name: 'advertise-address', type: 'string', value: '<ip>', commands: CHECKED, description: 'IPv4 address other hosts reach this one on', default: 'detected; asked when several fit' },
  { name: 'etcd-image', type: 'string', value: '<image>', commands: SETUP, description: 'etcd image (join: for a control-plane member)', default: DEFAULT_IMAGES.etcd },
  { name: 'flannel-image', type: 'string', value: '<image>', commands: SETUP, description: 'flannel image', default: DEFAULT_IMAGES.flannel },
  { name: 'cni-plugin-image', type: 'string', value: '<image>', commands: SETUP, description: 'Image the flannel CNI plugin is copied out of (its /flannel), when the CNI bin dir lacks it', default: DEFAULT_IMAGES.cniPlugin },
  {
    name: 'install-cni-plugins',
    type: 'boolean',
    commands: SETUP,
    description: 'Install missing CNI plugins into the CNI bin dir: flannel from --cni-plugin-image, the others copied from the host\'s CNI plugins package (/usr/lib/cni); a terminal asks instead',
  },
  { name: 'pull', type: 'string', value: PULL_POLICIES.join('|'), commands: SETUP, description: 'When to pull images', default: 'missing' },
  { name: 'yes', short: 'y', type: 'boolean', commands: [...CHANGES, 'ipam'], description: 'Answer yes to every question (take the default choice); ipam gc: free the stale allocations (else a dry run)' },
  { name: 'json', type: 'boolean', commands: ['init', 'join', 'cleanup', 'status', 'doctor', 'ipam', 'logs'], description: 'Machine-readable output on stdout: one JSON event a line (status: one JSON document; logs: one object a log line with container, stream, time, text); never ask' },
  { name: 'timeout', type: 'string', value: '<duration>', commands: ALL, description: 'How long to wait for each service: seconds, or 30s, 2m, 1m30s', default: `${DEFAULT_TIMEOUT_MS / 1000}s` },
  {
    name: 'ignore-preflight-errors',
    type: 'string',
    value: '<checks>',
    multiple: true,
    commands: CHECKED,
    description: 'Turn these preflight checks into warnings: names as printed (comma-separated, e.g. Port-2379,TunDevice; an unknown name is refused), or all',
  },
  { name: 'insecure', type: 'boolean', commands: ['init'], description: 'Plain HTTP and no etcd authentication, as the old script (a throwaway lab only): no token needed to join' },
  { name: 'token', type: 'string', value: '<id.secret>', commands: ['join', 'doctor'], description: 'Join token printed by `ignite-net init` or `ignite-net token create` on the init host (doctor: checks with it, does not use it up)' },
  { name: 'ca-cert-hash', type: 'string', value: 'sha256:<hex>', commands: ['join', 'doctor'], description: "The overlay CA's pin, printed with the token: join refuses an etcd whose CA does not match (doctor compares it, no --token needed)" },
  { name: 'force', type: 'boolean', commands: [...SETUP, 'cleanup'], description: "Replace what is in the way (a different network config, a foreign conflist, container or CNI plugin); cleanup: remove a control-plane host's etcd even without quorum or while other hosts hold leases" },
  { name: 'dry-run', type: 'boolean', commands: [...SETUP, 'cleanup'], description: 'Run every check and print what each step would change (containers, files, etcd keys, users), changing nothing' },
  { name: 'keep-on-failure', type: 'boolean', commands: SETUP, description: 'Leave what was set up in place when a step fails (for debugging)' },
  { name: 'state-dir', type: 'string', value: '<dir>', commands: ALL, description: "Where ignite-net records what it set up on this host (root only)", default: PATHS.stateDir },
  { name: 'etcd-endpoint', type: 'string', value: '<url>', commands: ['status'], description: "etcd to read the overlay from", default: "the state file's, else http://127.0.0.1:2379" },
  { name: 'watch', short: 'w', type: 'boolean', commands: ['status'], description: 'Keep the view live, refreshing every --interval' },
  { name: 'interval', type: 'string', value: '<duration>', commands: ['status'], description: 'Refresh interval of --watch', default: '2s' },
  { name: 'peer', type: 'string', value: '<host>', commands: ['doctor'], description: "Run join's checks against this init host instead of init's" },
  { name: 'follow', short: 'f', type: 'boolean', commands: ['logs'], description: 'Keep printing new log lines' },
  { name: 'tail', type: 'string', value: '<lines>', commands: ['logs'], description: 'How many of the last lines to show per container', default: '100' },
  { name: 'ttl', type: 'string', value: '<duration>', commands: ['token'], description: 'How long a new token can be used (one host joins with it)', default: '24h; --control-plane: 1h, at most 2h' },
  { name: 'control-plane', type: 'boolean', commands: ['token', 'join'], description: 'token create: a token for a control-plane join (an etcd member): prints the join command with a new certificate key, which opens the CA key and root\'s credential sealed in etcd (docs/ha.md); join: run an etcd member on this host too' },
  { name: 'certificate-key', type: 'string', value: '<64 hex>', commands: ['join'], description: 'With --control-plane: the key printed in the control-plane join command; it opens the CA key and root\'s credential the token holds (keep it secret)' },
  { name: 'purge', type: 'boolean', commands: ['cleanup'], description: `Also remove etcd's data volume (${ETCD_VOLUME}) and this host's fixed subnet (its record and key in etcd)` },
  { name: 'help', short: 'h', type: 'boolean', commands: ALL, description: 'Show help' },
  { name: 'version', short: 'v', type: 'boolean', commands: ALL, description: 'Print the version' },
];

export interface CommandSpec {
  usage: string;
  summary: string;
  description: string;
  arguments?: [string, string][];
  /** The literal words the first argument may be (token create, logs etcd): shell completion offers them. */
  words?: readonly string[];
  examples: string[];
}

/** The shells `ignite-net completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Not a Command: it reads no Options and touches nothing, so none of the table's options apply to it. */
export const COMPLETION_SPEC: CommandSpec = {
  usage: `completion ${COMPLETION_SHELLS.join('|')}`,
  summary: 'Print a shell completion script (commands, options, their values)',
  description:
    'Write to stdout a completion script for the shell named, generated from the same table as this help: the commands and their words (token create, logs flannel …), each command\'s options, and the values of an option that takes one of a few (--backend, --pull, --wireguard-mode). Load it in the running shell, or install it where the shell looks for completions.',
  arguments: [[COMPLETION_SHELLS.join('|'), 'The shell to write the script for']],
  words: COMPLETION_SHELLS,
  examples: [
    'source <(ignite-net completion bash)   # this bash; ~/.bashrc for every one',
    'ignite-net completion bash | sudo tee /usr/share/bash-completion/completions/ignite-net',
    'ignite-net completion zsh > "${fpath[1]}/_ignite-net"   # then start a new zsh',
    'ignite-net completion fish > ~/.config/fish/completions/ignite-net.fish',
  ],
};

export const COMMAND_SPECS: Record<Command, CommandSpec> = {
  init: {
    usage: 'init [options]',
    summary: 'Start etcd and flannel here, seed the network config, write the CNI config',
    description:
      'Make this host the first of the overlay: run etcd and flannel in Docker, seed the network config into etcd (v3 API), wait until flannel holds a subnet, and write the CNI conflist. Missing CNI plugins are installed into the CNI bin dir (flannel from --cni-plugin-image, the others copied from /usr/lib/cni) when a terminal says yes or --install-cni-plugins is given. On an overlay made by ignite-net 0.1 or with --insecure it secures it in place, keeping the leases and the network config; the other hosts then join again with a token.',
    examples: ['sudo ignite-net init', 'sudo ignite-net init --network 10.60.0.0/16 --subnet-len 26', 'sudo ignite-net init --advertise-address 192.168.1.2 --yes', 'sudo ignite-net init --subnet 10.50.40.0/24   # this host keeps 10.50.40.0/24 for good', 'sudo ignite-net init --install-cni-plugins   # no terminal: install the missing CNI plugins too', 'sudo ignite-net init --insecure   # plain HTTP, no auth: a throwaway lab only'],
  },
  join: {
    usage: 'join [host] [options]',
    summary: "Start flannel here, pointed at the init host's etcd; write the CNI config",
    description:
      "Add this host to the overlay: check the peer (its CA against the token's pin), take this host's own etcd identity with the token, run flannel pointed at <host>'s etcd over TLS, wait until it holds a subnet, and write the CNI conflist (installing missing CNI plugins as init does). The network settings come from the init host. A token joins one host: `ignite-net token create` on the init host makes the next. With --control-plane (the command `token create --control-plane` prints on a control-plane host) this host runs an etcd member as well: it takes the CA key and root's credential the token holds, adds itself to etcd as a learner, starts ignite-etcd and is promoted once it has caught up; flannel is given every member's client URL. <host> may be any member.",
    arguments: [['host', 'IPv4/IPv6 address or DNS name of the host where `ignite-net init` ran (no port, no URL)']],
    examples: ['sudo ignite-net join 192.168.1.2 --token abcdef.0123456789abcdef --ca-cert-hash sha256:<64 hex>', 'sudo ignite-net join 192.168.1.2 <token, pin> --control-plane --certificate-key <64 hex>', 'sudo ignite-net join 192.168.1.2 <token, pin> --subnet 10.50.41.0/24   # a fixed subnet', 'sudo ignite-net join 192.168.1.2   # an insecure overlay: no token'],
  },
  cleanup: {
    usage: 'cleanup [options]',
    summary: 'Remove what ignite-net set up on this host',
    description:
      "Stop flannel, release this host's lease in etcd, remove etcd, flannel's devices (flannel0, flannel.<VNI>, flannel-wg, and cni0 when it is our network's) and iptables chains (FLANNEL-POSTRTG, FLANNEL-FWD), the CNI config, the CNI plugins init/join installed (while unchanged) and our network's CNI state, subnet.env and the state file — only what ignite-net and flannel created — and put back a conflist it moved aside. No reboot needed.",
    examples: ['sudo ignite-net cleanup', 'sudo ignite-net cleanup --dry-run   # what it would remove; removes nothing', 'sudo ignite-net cleanup --purge --yes'],
  },
  status: {
    usage: 'status [options]',
    summary: 'Show the whole overlay: network, every host and its lease, this host, reachability',
    description:
      'Read etcd and this host and show the network config, every host of the overlay with its subnet and lease, this host\'s containers, subnet.env and CNI config, and whether every other host is reachable. The exit code says whether everything is healthy.',
    examples: ['sudo ignite-net status', 'sudo ignite-net status --watch', 'sudo ignite-net status --json'],
  },
  doctor: {
    usage: 'doctor [options]',
    summary: "Run init's (or, with --peer, join's) checks without changing anything",
    description:
      "Run every preflight check of init, or of join with --peer, plus the things flannel operators trip on (br_netfilter, ip_forward, the FORWARD policy, CNI configs that sort before ours, MTU), and say how to fix each failure; on a set-up host also its security (TLS and the CA pin, the certificate's expiry, authentication, this host's identity). Against a secure overlay --peer needs no token: it checks the ports, the TLS handshake and its CA pin, and that authentication is on. Changes nothing.",
    examples: ['sudo ignite-net doctor', 'sudo ignite-net doctor --peer 192.168.1.2', 'sudo ignite-net doctor --peer 192.168.1.2 --ca-cert-hash sha256:<64 hex>'],
  },
  token: {
    usage: 'token create|list|delete [id] [options]',
    summary: 'Make, list or delete join tokens (on the init host)',
    description:
      "A join token lets one host join within its TTL (--ttl, default 24h): `create` prints the whole join command, `list` shows every token and which host used it, `delete` takes an unused token back. After its TTL a token opens nothing: etcd itself deletes what it held, and `init`, `token create` and `token list` remove the expired token's user. `create --control-plane` (on a control-plane host) makes a token for a host that is to run an etcd member as well: its command carries a new certificate key, which is stored nowhere. Any control-plane host (init's, or one joined with --control-plane) can make tokens.",
    arguments: [['create|list|delete', 'What to do'], ['id', 'delete: the token id (the part before the dot)']],
    words: ['create', 'list', 'delete'],
    examples: ['sudo ignite-net token create', 'sudo ignite-net token create --ttl 2h', 'sudo ignite-net token create --control-plane', 'sudo ignite-net token list', 'sudo ignite-net token delete abc123'],
  },
  hosts: {
    usage: 'hosts list|revoke [host] [options]',
    summary: "List the overlay's hosts and their etcd identities, or revoke one (on the init host)",
    description:
      "`list` shows every host identity: which host holds it (address, name), when it joined, and its lease. `revoke <host>` deletes that host's etcd identity: from its next call etcd refuses it; its flannel keeps its lease until the next renewal fails (24 h leases, renewed an hour before they end), then the subnet is free. Other hosts are untouched.",
    arguments: [['list|revoke', 'What to do'], ['host', 'revoke: the advertise address or host name, as `hosts list` shows it']],
    words: ['list', 'revoke'],
    examples: ['sudo ignite-net hosts list', 'sudo ignite-net hosts revoke 192.168.1.3'],
  },
  ipam: {
    usage: 'ipam gc [--yes] [options]',
    summary: "List host-local's stale IP allocations of our network (owner gone); --yes frees them",
    description:
      "An address whose VM died without a CNI DEL (host crash, killed firecracker) stays allocated in host-local's store (<cni-state-dir>/networks/cbr0), and the next VM start may fail with \"duplicate allocation is not allowed\". `gc` lists each stale allocation (address, container ID, since when) and why it is stale: older than 2 min, no Docker container of that ID or name, no Ignite VM dir /var/lib/firecracker/vm/<id>, its address in no network namespace in use; when any of that cannot be read, it is kept. A dry run unless --yes, which frees them under host-local's lock, reading each again first. init and join free them too.",
    arguments: [['gc', 'What to do: list (and with --yes free) the stale allocations']],
    words: ['gc'],
    examples: ['sudo ignite-net ipam gc', 'sudo ignite-net ipam gc --yes', 'sudo ignite-net ipam gc --json'],
  },
  subnets: {
    usage: 'subnets list|reserve|release [public-ip] [cidr] [options]',
    summary: 'List, reserve or release fixed subnets (reserve/release: on a control-plane host)',
    description:
      "A fixed subnet stays with its host: ignite-net keeps a record of it in etcd (no TTL) and, on every init, join and status on any host, re-creates flannel's key for it when it is missing (the key's 24 h lease ran out while the host was down), so no other host's flannel takes it. `init` and `join` fix this host's (see their help); `reserve <public-ip> <cidr>` fixes one for a host that has not joined yet (its flannel takes it when it joins with that advertise address); `release <public-ip>` deletes that host's fixed record and its key when no flannel holds it. `list` shows them. reserve and release need etcd's root credential (the init host or a control-plane host).",
    arguments: [['list|reserve|release', 'What to do'], ['public-ip', "reserve/release: the host's flannel PublicIP (its advertise address)"], ['cidr', 'reserve: the subnet, a /SubnetLen inside SubnetMin..SubnetMax']],
    examples: ['sudo ignite-net subnets list', 'sudo ignite-net subnets reserve 192.168.1.3 10.50.40.0/24', 'sudo ignite-net subnets release 192.168.1.3'],
  },
  logs: {
    usage: 'logs [etcd|flannel] [options]',
    summary: "Show the logs of ignite-net's containers",
    description: "Print the last lines of ignite-etcd's and ignite-flannel's logs (or of one of them), found by ignite-net's labels, through the Docker API.",
    arguments: [['etcd|flannel', 'Only this container (default: both that exist here)']],
    words: ['etcd', 'flannel'],
    examples: ['sudo ignite-net logs', 'sudo ignite-net logs flannel -f', 'sudo ignite-net logs etcd --tail 20', 'sudo ignite-net logs --json   # {"container":…,"stream":"stderr","time":…,"text":…} a line'],
  },
};

const WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Two columns: left padded to the widest entry, right wrapped to the rest of the width. */
function table(rows: [string, string][]): string[] {
  const left = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.flatMap(([l, r]) => {
    const [first = '', ...rest] = wrap(r, Math.max(30, WIDTH - 2 - left));
    return [`  ${l.padEnd(left)}${first}`, ...rest.map((line) => `  ${' '.repeat(left)}${line}`)];
  });
}

export function optionLabel(spec: OptionSpec): string {
  const long = `--${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

export function globalHelp(): string {
  const globals = OPTION_SPECS.filter((spec) => spec.name === 'help' || spec.name === 'version');
  return [
    'ignite-net — turn Linux hosts into one Flannel overlay network for CNI VMs and containers',
    '',
    'Usage:',
    '  ignite-net <command> [options]',
    '  ignite-net <command> --help',
    '',
    'Commands:',
    ...table([...COMMANDS.map((name) => COMMAND_SPECS[name]), COMPLETION_SPEC].map((spec) => [spec.usage.replace(' [options]', ''), spec.summary])),
    '',
    'Options:',
    ...table(globals.map((spec) => [optionLabel(spec), spec.description])),
    '',
    'Examples:',
    '  [node1]$ sudo ignite-net init                # CA, etcd over TLS with auth, flannel; prints:',
    '  [node2]$ sudo ignite-net join 192.168.1.2 --token <id.secret> --ca-cert-hash sha256:<hex>',
    '  [node1]$ sudo ignite-net token create        # the join command for one more host',
    '  [node*]$ sudo ignite-net cleanup             # tear it all down',
    '  [node*]$ sudo ignite-net init --dry-run      # init/join/cleanup: what would change',
    '',
    'Run `ignite-net <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return renderHelp(COMMAND_SPECS[command], OPTION_SPECS.filter((option) => option.commands.includes(command)));
}

/** `completion --help`: only --help applies to it. */
export function completionHelp(): string {
  return renderHelp(COMPLETION_SPEC, OPTION_SPECS.filter((option) => option.name === 'help'));
}

function renderHelp(spec: CommandSpec, options: readonly OptionSpec[]): string {
  const describe = (option: OptionSpec): string =>
    option.default === undefined ? option.description : `${option.description} (default: ${option.default})`;
  return [
    `Usage: ignite-net ${spec.usage}`,
    '',
    ...wrap(spec.description, WIDTH),
    ...(spec.arguments ? ['', 'Arguments:', ...table(spec.arguments)] : []),
    '',
    'Options:',
    ...table(options.map((option) => [optionLabel(option), describe(option)])),
    '',
    'Examples:',
    ...spec.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}
