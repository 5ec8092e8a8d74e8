/**
 * argv → Options. Node's util.parseArgs tokenises; every check is ours, so each mistake gets one
 * line naming the option and a hint pointing at the right help. Nothing here touches the host.
 */
import { resolve } from 'node:path';
import { parseArgs as tokenize } from 'node:util';
import { chooseDockerHost } from './adapters/docker/host.js';
import { usageError } from './core/errors.js';
import { alignedCidr, parseDir, parseDuration, parseEtcdEndpoint, parseIgnored, parseImage, parseInteger, parsePull, parseTimeout } from './arg-values.js';
import { DEFAULT_IMAGES, PATHS } from './defaults.js';
import { COMPLETION_SHELLS, OPTION_SPECS, commandHelp, completionHelp, globalHelp } from './help.js';
import type { CompletionShell, OptionSpec } from './help.js';
import { parseAdvertiseAddress, parseHostArg } from './net/host-arg.js';
import { buildNetworkConfig } from './net/network-config.js';
import { isIPv4 } from './net/cidr.js';
import { checkFixedSubnet } from './net/fixed-subnet.js';
import { parseCertificateKey } from './pki/certificate-key.js';
import { parseCaPin, parseToken, type JoinToken } from './pki/token.js';
import { COMMANDS, isCommand, type Command, type Options } from './options.js';

export { parseDuration, parseTimeout } from './arg-values.js';

export type ParsedArgs = { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'completion'; shell: CompletionShell } | { kind: 'run'; options: Options };

const GLOBAL_HINT = 'Run `ignite-net --help` for usage.';
const commandHint = (command: Command | undefined): string =>
  command ? `Run \`ignite-net ${command} --help\` for the options of ${command}.` : GLOBAL_HINT;

const SPECS = new Map(OPTION_SPECS.map((spec) => [spec.name, spec]));
const SHORTS = new Map(OPTION_SPECS.flatMap((spec) => (spec.short ? [[spec.short, spec] as const] : [])));

type Values = Map<string, string[] | true>;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const { tokens } = tokenize({
    args: argv,
    options: Object.fromEntries(
      OPTION_SPECS.map((spec) => [spec.name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }]),
    ),
    // Not strict: parseArgs' own errors are multi-line and name no command; we check tokens below.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const positionals: string[] = [];
  const optionTokens: { spec: OptionSpec | undefined; raw: string; value: string | undefined; inline: boolean }[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind === 'option') {
      const spec = token.rawName.startsWith('--') ? SPECS.get(token.name) : SHORTS.get(token.rawName.slice(1));
      optionTokens.push({ spec, raw: token.rawName, value: token.value, inline: token.inlineValue === true });
    }
  }

  let [first, ...rest] = positionals;
  let helpRequested = optionTokens.some((t) => t.spec?.name === 'help');
  if (first === 'help') {
    // `ignite-net help [command]` reads naturally and is what many CLIs accept.
    helpRequested = true;
    [first, ...rest] = rest;
  }
  if (first === 'completion') {
    if (helpRequested) return { kind: 'help', text: completionHelp() };
    return { kind: 'completion', shell: parseCompletion(rest, optionTokens.map((t) => t.raw)) };
  }
  if (first !== undefined && !isCommand(first)) {
    throw usageError(`unknown command "${first}"`, `Commands are ${COMMANDS.join(', ')}, completion. ${GLOBAL_HINT}`);
  }
  const command: Command | undefined = first;
  if (helpRequested) return { kind: 'help', text: command ? commandHelp(command) : globalHelp() };
  if (optionTokens.some((t) => t.spec?.name === 'version')) return { kind: 'version' };

  const values: Values = new Map();
  for (const token of optionTokens) {
    const { spec, raw } = token;
    if (!spec) throw usageError(`unknown option ${raw}`, commandHint(command));
    if (command && !spec.commands.includes(command)) {
      throw usageError(`${raw} is not an option of ${command} (it is for ${spec.commands.join(', ')})`, commandHint(command));
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw usageError(`--${spec.name} takes no value (got "${token.value}")`, commandHint(command));
      values.set(spec.name, true);
      continue;
    }
    // Without "=", a value that looks like an option is almost always a forgotten value.
    // A negative number is a value given (its parser says it must be positive), not a forgotten one.
    if (token.value === undefined || (!token.inline && token.value.startsWith('-') && !/^-\d/.test(token.value))) {
      throw usageError(`--${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}`, commandHint(command));
    }
    const previous = values.get(spec.name);
    if (previous !== undefined && !spec.multiple) {
      throw usageError(`--${spec.name} is given more than once`, `Give --${spec.name} once. ${commandHint(command)}`);
    }
    values.set(spec.name, [...(Array.isArray(previous) ? previous : []), token.value]);
  }

  if (!command) {
    if (values.size === 0) return { kind: 'help', text: globalHelp() };
    throw usageError('missing command', `Put a command first: ignite-net ${COMMANDS.join('|')} [options]. ${GLOBAL_HINT}`);
  }
  return { kind: 'run', options: buildOptions(command, rest, values, env) };
}

function buildOptions(command: Command, args: string[], values: Values, env: NodeJS.ProcessEnv): Options {
  const str = (name: string): string | undefined => {
    const value = values.get(name);
    return Array.isArray(value) ? value[value.length - 1] : undefined;
  };
  const flag = (name: string): boolean => values.get(name) === true;

  const host = command === 'logs' || command === 'token' || command === 'hosts' || command === 'ipam' || command === 'subnets' ? undefined : positionalHost(command, args);
  const token = command === 'token' ? parseTokenAction(args, flag('control-plane')) : undefined;
  const joinSecret = parseJoinSecret(command, str('token'), str('ca-cert-hash'));
  const controlPlane = command === 'join' ? parseControlPlaneJoin(flag('control-plane'), str('certificate-key'), joinSecret.join !== undefined) : undefined;
  const hosts = command === 'hosts' ? parseHostsAction(args) : undefined;
  const subnets = command === 'subnets' ? parseSubnetsAction(args) : undefined;
  if (command === 'ipam') parseIpamAction(args);
  const logsTarget = command === 'logs' ? parseLogsTarget(args) : undefined;
  const etcdEndpoint = str('etcd-endpoint');
  const peer = str('peer');
  const dockerHost = chooseDockerHost(str('docker-host'), env);
  const advertise = str('advertise-address');
  const network = buildNetworkConfig({
    network: str('network'),
    subnetLen: parseInteger('subnet-len', str('subnet-len')),
    subnetMin: str('subnet-min'),
    subnetMax: str('subnet-max'),
    backendType: str('backend'),
    backendPort: parseInteger('backend-port', str('backend-port')),
    vni: parseInteger('vni', str('vni')),
    ...(flag('direct-routing') ? { directRouting: true } : {}),
    ...(str('wireguard-mode') !== undefined ? { wireguardMode: str('wireguard-mode') } : {}),
  });
  const fixedSubnet = parseFixedSubnet(command, str('subnet'), network);
  return {
    command,
    ...(host === undefined ? {} : { host }),
    ...dockerHost,
    cniConfDir: parseDir('cni-conf-dir', str('cni-conf-dir') ?? PATHS.cniConfDir),
    cniBinDir: parseDir('cni-bin-dir', str('cni-bin-dir') ?? PATHS.cniBinDir),
    runDir: parseDir('run-dir', str('run-dir') ?? PATHS.runDir),
    cniStateDir: parseDir('cni-state-dir', str('cni-state-dir') ?? PATHS.cniStateDir),
    network,
    ...(fixedSubnet === undefined ? {} : { fixedSubnet }),
    ...wireguardPskFile(str('wireguard-psk-file'), str('backend')),
    ...(advertise === undefined ? {} : { advertiseAddress: parseAdvertiseAddress(advertise) }),
    etcdImage: parseImage('etcd-image', str('etcd-image') ?? DEFAULT_IMAGES.etcd),
    flannelImage: parseImage('flannel-image', str('flannel-image') ?? DEFAULT_IMAGES.flannel),
    cniPluginImage: parseImage('cni-plugin-image', str('cni-plugin-image') ?? DEFAULT_IMAGES.cniPlugin),
    installCniPlugins: flag('install-cni-plugins'),
    pull: parsePull(str('pull')),
    yes: flag('yes'),
    json: flag('json'),
    timeoutMs: parseTimeout(str('timeout')),
    ignorePreflightErrors: parseIgnored(values.get('ignore-preflight-errors')),
    force: flag('force'),
    insecure: flag('insecure'),
    ...(token === undefined ? {} : { token }),
    ...(hosts === undefined ? {} : { hosts }),
    ...(subnets === undefined ? {} : { subnets }),
    ttlMs: parseTtl(str('ttl'), token?.controlPlane === true),
    ...joinSecret,
    ...(controlPlane === undefined ? {} : { controlPlane }),
    keepOnFailure: flag('keep-on-failure'),
    dryRun: flag('dry-run'),
    purge: flag('purge'),
    stateDir: parseDir('state-dir', str('state-dir') ?? PATHS.stateDir),
    ...(etcdEndpoint === undefined ? {} : { etcdEndpoint: parseEtcdEndpoint(etcdEndpoint) }),
    watch: flag('watch'),
    intervalMs: parseDuration('interval', str('interval'), 2_000),
    ...(peer === undefined ? {} : { peer: parseHostArg(peer).host }),
    ...(logsTarget === undefined ? {} : { logsTarget }),
    follow: flag('follow'),
    tail: parseInteger('tail', str('tail')) ?? 100,
    explicit: new Set(values.keys()),
  };
}

/** --token and --ca-cert-hash come together: a token without the pin would trust whatever answers. */
function parseJoinSecret(command: Command, token: string | undefined, pin: string | undefined): { join?: { token: JoinToken; caPin: string }; caPin?: string } {
  if (token === undefined && pin === undefined) return {};
  // doctor compares a pin without sending any secret, so it needs no token for that.
  if (command === 'doctor' && token === undefined && pin !== undefined) return { caPin: parseCaPin(pin) };
  if (token === undefined || pin === undefined) {
    throw usageError(`${token === undefined ? '--ca-cert-hash' : '--token'} needs ${token === undefined ? '--token' : '--ca-cert-hash'} too`, 'Copy the whole join command that `ignite-net init` or `ignite-net token create` printed on the init host.');
  }
  return { join: { token: parseToken(token), caPin: parseCaPin(pin) } };
}

/** join --control-plane takes the whole control-plane join command: token, pin and certificate key. */
function parseControlPlaneJoin(controlPlane: boolean, key: string | undefined, hasToken: boolean): { certificateKey: string } | undefined {
  const hint = 'Copy the whole join command that `ignite-net token create --control-plane` printed on a control-plane host.';
  if (!controlPlane) {
    if (key !== undefined) throw usageError('--certificate-key goes with --control-plane', `${hint} A plain join takes no certificate key.`);
    return undefined;
  }
  if (!hasToken) throw usageError('join --control-plane needs --token and --ca-cert-hash', hint);
  if (key === undefined) throw usageError('join --control-plane needs --certificate-key', hint);
  return { certificateKey: parseCertificateKey(key) };
}

const HOUR_MS = 60 * 60 * 1000;
/** A control-plane token carries the CA key (sealed): 1h by default, at most 2h, as kubeadm's certificate secret. */
export const CONTROL_PLANE_TTL_MS = { default: HOUR_MS, max: 2 * HOUR_MS };

function parseTtl(text: string | undefined, controlPlane: boolean): number {
  const ttlMs = parseDuration('ttl', text, controlPlane ? CONTROL_PLANE_TTL_MS.default : 24 * HOUR_MS);
  if (controlPlane && ttlMs > CONTROL_PLANE_TTL_MS.max) {
    throw usageError(`--ttl ${text ?? ''} is too long for a control-plane token (at most 2h)`, 'Give --ttl 2h or less: the token carries the sealed CA key; make a new one when it has run out.');
  }
  return ttlMs;
}

function parseTokenAction(args: string[], controlPlane: boolean): { action: 'create' | 'list' | 'delete'; id?: string; controlPlane?: true } {
  const [action, id, ...extra] = args;
  const hint = 'Use `ignite-net token create`, `ignite-net token list` or `ignite-net token delete <id>`.';
  if (action !== 'create' && action !== 'list' && action !== 'delete') {
    throw usageError(action === undefined ? 'token needs what to do: create, list or delete' : `unknown token action "${action}"`, hint);
  }
  if (action === 'delete') {
    if (id === undefined || extra.length > 0 || !/^[a-z0-9]{6}$/.test(id)) throw usageError(id === undefined ? 'token delete needs the token id' : `"${args.slice(1).join(' ')}" is not a token id (6 lower-case letters and digits)`, 'Take it from `ignite-net token list`.');
    return { action, id };
  }
  if (id !== undefined) throw usageError(`token ${action} takes no more arguments (got "${args.slice(1).join(' ')}")`, hint);
  if (controlPlane && action !== 'create') throw usageError(`--control-plane goes with token create, not token ${action}`, 'Use `ignite-net token create --control-plane`.');
  return controlPlane ? { action, controlPlane } : { action };
}

function parseHostsAction(args: string[]): { action: 'list' | 'revoke'; host?: string } {
  const [action, host, ...extra] = args;
  if (action === 'list' && host === undefined) return { action };
  if (action === 'revoke' && host !== undefined && extra.length === 0) return { action, host };
  if (action === 'revoke') throw usageError(host === undefined ? 'hosts revoke needs the host' : `hosts revoke takes one host (got "${args.slice(1).join(' ')}")`, 'Give its advertise address or name, as `ignite-net hosts list` shows it.');
  if (action === 'list') throw usageError(`hosts list takes no more arguments (got "${args.slice(1).join(' ')}")`, 'Use `ignite-net hosts list`.');
  throw usageError(action === undefined ? 'hosts needs what to do: list or revoke' : `unknown hosts action "${action}"`, 'Use `ignite-net hosts list` or `ignite-net hosts revoke <host>`.');
}

/**
 * init --subnet is checked against the network this init seeds (length, alignment, SubnetMin..SubnetMax)
 * before anything runs; join's network is the peer's, so join checks it once the peer step has read it.
 */
function parseFixedSubnet(command: Command, value: string | undefined, network: Options['network']): string | undefined {
  if (value === undefined) return undefined;
  if (command === 'init') return checkFixedSubnet({ subnet: value, label: '--subnet', network, publicIP: '', leases: [], records: [] });
  return alignedCidr(value, '--subnet');
}

function parseSubnetsAction(args: string[]): NonNullable<Options['subnets']> {
  const [action, publicIP, subnet, ...extra] = args;
  const hint = 'Use `ignite-net subnets list`, `ignite-net subnets reserve <public-ip> <cidr>` or `ignite-net subnets release <public-ip>`.';
  const address = (text: string | undefined): string => {
    if (text === undefined) throw usageError(`subnets ${action ?? ''} needs the host's public IP (flannel's PublicIP, its advertise address)`, hint);
    if (!isIPv4(text)) throw usageError(`"${text}" is not an IPv4 address (flannel's PublicIP)`, 'Give the host\'s advertise address, e.g. 192.168.1.3.');
    return text;
  };
  if (action === 'list') {
    if (publicIP !== undefined) throw usageError(`subnets list takes no more arguments (got "${args.slice(1).join(' ')}")`, hint);
    return { action };
  }
  if (action === 'reserve') {
    const ip = address(publicIP);
    if (subnet === undefined) throw usageError('subnets reserve needs the subnet too', 'Use `ignite-net subnets reserve <public-ip> <cidr>`, e.g. `ignite-net subnets reserve 192.168.1.3 10.50.40.0/24`.');
    if (extra.length > 0) throw usageError(`subnets reserve takes a public IP and a subnet (got "${args.slice(1).join(' ')}")`, hint);
    return { action, publicIP: ip, subnet: alignedCidr(subnet, 'subnet') };
  }
  if (action === 'release') {
    const ip = address(publicIP);
    if (subnet !== undefined) throw usageError(`subnets release takes one public IP (got "${args.slice(1).join(' ')}")`, hint);
    return { action, publicIP: ip };
  }
  throw usageError(action === undefined ? 'subnets needs what to do: list, reserve or release' : `unknown subnets action "${action}"`, hint);
}

/** `ipam gc` is the one action; anything else, or more after it, is refused. */
function parseIpamAction(args: string[]): void {
  const [action, ...extra] = args;
  const hint = 'Use `ignite-net ipam gc` (lists the stale IP allocations) or `ignite-net ipam gc --yes` (frees them).';
  if (action !== 'gc') throw usageError(action === undefined ? 'ipam needs what to do: gc' : `unknown ipam action "${action}"`, hint);
  if (extra.length > 0) throw usageError(`ipam gc takes no more arguments (got "${extra.join(' ')}")`, hint);
}

/** `completion bash|zsh|fish`: one shell, no options (--help is answered before). */
function parseCompletion(args: string[], options: string[]): CompletionShell {
  const hint = `Use one of: ${COMPLETION_SHELLS.map((shell) => `ignite-net completion ${shell}`).join(', ')} (e.g. source <(ignite-net completion bash)).`;
  const [option] = options;
  if (option !== undefined) throw usageError(`completion takes no options (got ${option})`, hint);
  const [shell, ...extra] = args;
  if (shell === undefined) throw usageError('completion needs the shell: bash, zsh or fish', hint);
  if (extra.length > 0) throw usageError(`completion takes one shell (got ${args.join(' ')})`, hint);
  const known = COMPLETION_SHELLS.find((s) => s === shell);
  if (known === undefined) throw usageError(`no completion for the shell "${shell}"`, hint);
  return known;
}

function parseLogsTarget(args: string[]): 'etcd' | 'flannel' | undefined {
  if (args.length > 1) throw usageError(`logs takes at most one container (got ${args.join(' ')})`, 'Use `ignite-net logs`, `ignite-net logs etcd` or `ignite-net logs flannel`.');
  const [arg] = args;
  if (arg === undefined || arg === 'etcd' || arg === 'flannel') return arg;
  throw usageError(`unknown container "${arg}"`, 'Use `ignite-net logs etcd` or `ignite-net logs flannel` (or neither for both).');
}

function positionalHost(command: Command, args: string[]): string | undefined {
  if (command !== 'join') {
    const [arg] = args;
    if (arg === undefined) return undefined;
    const looksLikeHost = (() => {
      try {
        parseHostArg(arg);
        return true;
      } catch {
        return false;
      }
    })();
    throw usageError(
      `${command} takes no arguments (got "${arg}")`,
      command === 'init' && looksLikeHost
        ? `To add this host to an existing overlay, run \`ignite-net join ${arg}\`.`
        : commandHint(command),
    );
  }
  if (args.length > 1) {
    throw usageError(`join takes one host (got ${args.length}: ${args.join(' ')})`, 'Join one init host, e.g. `ignite-net join 192.168.1.2`.');
  }
  const [arg] = args;
  return arg === undefined ? undefined : parseHostArg(arg).host;
}

/** The path only: the key is read (and its mode checked) by init's wireguard-psk step, before any change. */
function wireguardPskFile(path: string | undefined, backend: string | undefined): { wireguardPskFile?: string } {
  if (path === undefined) return {};
  if ((backend ?? 'udp') !== 'wireguard') {
    throw usageError(`--wireguard-psk-file applies to --backend wireguard only, not ${backend ?? 'udp'}`, 'Drop --wireguard-psk-file, or pass --backend wireguard.');
  }
  if (path.trim() === '' || path.includes('\0')) throw usageError('--wireguard-psk-file needs a file path', 'Pass the path of a 0600 file holding the key, e.g. --wireguard-psk-file /root/flannel.psk.');
  return { wireguardPskFile: resolve(path) };
}
