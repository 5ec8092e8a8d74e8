/**
 * Which iptables commands remove flannel's chains and nothing else. Pure: it reads the text of
 * `iptables -t <table> -S` and returns argument lists; the adapter runs them.
 *
 * Flannel (iptables mode) adds two chains and one jump to each:
 *   nat:    -N FLANNEL-POSTRTG, -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
 *   filter: -N FLANNEL-FWD,     -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
 * (ip6tables the same when flannel runs IPv6.) Only rules whose target is one of those chains and the
 * chains themselves are removed; every other rule, chain and policy stays as it is.
 */
import { fail, pass, warn, type Outcome } from '../core/check.js';
import { CONTAINER_NAMES } from '../defaults.js';
import { containsCidr } from './cidr.js';

export const FLANNEL_CHAINS = ['FLANNEL-POSTRTG', 'FLANNEL-FWD'] as const;

/**
 * The tables looked at. Flannel only uses these two; listing others (raw, mangle) with the legacy
 * backend would load their kernel modules, a change to the host that cleanup has no reason to make.
 */
export const FLANNEL_TABLES = ['filter', 'nat'] as const;

/** One `-A` line of `iptables -S`: the chain it is in and its words, unquoted. */
export interface IptablesRule {
  chain: string;
  /** The rule specification after `-A <chain>`, as separate arguments. */
  spec: string[];
}

export interface IptablesListing {
  chains: Set<string>;
  rules: IptablesRule[];
}

/**
 * Splits one line of `iptables -S` into words the way iptables-save quotes them: double quotes
 * around words with spaces, backslash escapes inside them.
 */
export function splitRuleWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) {
        word += line.charAt(++i);
      } else if (c === '"') {
        quoted = false;
      } else {
        word += c;
      }
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Chains (built-in `-P` and user `-N`) and rules (`-A`) of one table. */
export function parseIptablesListing(text: string): IptablesListing {
  const chains = new Set<string>();
  const rules: IptablesRule[] = [];
  for (const raw of text.split('\n')) {
    const words = splitRuleWords(raw.trim());
    const [flag, chain, ...spec] = words;
    if (chain === undefined) continue;
    if (flag === '-P' || flag === '-N') chains.add(chain);
    else if (flag === '-A') rules.push({ chain, spec });
  }
  return { chains, rules };
}

/** The chain a rule jumps or goes to (`-j`/`--jump`, `-g`/`--goto`), if any. */
export function ruleTarget(spec: readonly string[]): string | undefined {
  for (let i = 0; i < spec.length - 1; i++) {
    const word = spec[i];
    if (word === '-j' || word === '--jump' || word === '-g' || word === '--goto') return spec[i + 1];
  }
  return undefined;
}

export interface ChainRemovalPlan {
  /** Arguments for iptables after `-t <table>`, in order: jumps deleted, then chains flushed and deleted. */
  commands: string[][];
  /** Our chains found in this table. */
  chains: string[];
  /** How many rules jumped to them. */
  jumps: number;
}

/**
 * The commands that remove `chains` from one table: first every rule elsewhere that jumps to one
 * of them (deleted by its exact specification, so a rule added between listing and deleting cannot
 * shift a number onto the wrong rule), then each chain is flushed and deleted.
 */
export function planChainRemoval(listing: IptablesListing, chains: readonly string[] = FLANNEL_CHAINS): ChainRemovalPlan {
  const ours = new Set(chains.filter((chain) => listing.chains.has(chain)));
  const jumps = listing.rules.filter((rule) => !ours.has(rule.chain) && ours.has(ruleTarget(rule.spec) ?? ''));
  return {
    commands: [
      ...jumps.map((rule) => ['-D', rule.chain, ...rule.spec]),
      ...[...ours].flatMap((chain) => [
        ['-F', chain],
        ['-X', chain],
      ]),
    ],
    chains: [...ours],
    jumps: jumps.length,
  };
}

// ---------------------------------------------------------------------------------------------
// doctor's ForwardPolicy: whether the FORWARD chain lets the overlay through

/** What running a host tool gave: its output, or why there is none. */
export type CommandOutput =
  | { kind: 'ok'; stdout: string }
  | { kind: 'missing' }
  | { kind: 'failed'; message: string };

export interface ForwardChain {
  /** ACCEPT, DROP, … from `-P FORWARD <policy>`; undefined when the output has none. */
  policy?: string;
  /** Chains the FORWARD chain jumps to (`-j FLANNEL-FWD`, `-j DOCKER-USER`). */
  jumps: string[];
  /** `-j ACCEPT` rules of FORWARD, with the addresses they match (undefined = any). */
  accepts: { source?: string; destination?: string; matchesMore: boolean }[];
}

/** Parses `iptables -S FORWARD`. Negated matches (`! -s`) are not accepts of that address. */
export function parseIptablesForward(text: string): ForwardChain {
  const chain: ForwardChain = { jumps: [], accepts: [] };
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '-P' && words[1] === 'FORWARD' && words[2] !== undefined) chain.policy = words[2];
    if (words[0] !== '-A' || words[1] !== 'FORWARD') continue;
    const jump = words.indexOf('-j');
    const target = jump === -1 ? undefined : words[jump + 1];
    if (target === undefined) continue;
    if (target !== 'ACCEPT') {
      if (!['DROP', 'REJECT', 'RETURN', 'LOG'].includes(target)) chain.jumps.push(target);
      continue;
    }
    const value = (flag: string): string | undefined => {
      const at = words.indexOf(flag);
      return at > 0 && words[at - 1] !== '!' ? words[at + 1] : undefined;
    };
    const negated = words.includes('!');
    // Any matcher besides -s/-d (interfaces, conntrack state, …) narrows the rule.
    const rest = words.slice(2).filter((w, i, all) => !['-s', '-d', '-j'].includes(w) && !['-s', '-d', '-j'].includes(all[i - 1] ?? ''));
    const source = value('-s');
    const destination = value('-d');
    chain.accepts.push({ ...(source ? { source } : {}), ...(destination ? { destination } : {}), matchesMore: negated || rest.length > 0 });
  }
  return chain;
}

const covers = (rule: string | undefined, network: string): boolean => {
  if (rule === undefined) return true;
  try {
    return containsCidr(rule, network);
  } catch {
    return false; // an IPv6 or odd address: not ours
  }
};

/**
 * Docker sets the FORWARD policy to DROP; flannel then adds FLANNEL-FWD (accepting the overlay in
 * both directions). DROP with neither FLANNEL-FWD nor an accept for the overlay drops VM traffic
 * between hosts: a failure once flannel runs here, expected before (flannel adds them at start).
 */
export function evaluateForwardPolicy(output: CommandOutput, network: string, flannelRuns: boolean): Outcome {
  if (output.kind === 'missing') {
    return warn('iptables not found: cannot read the FORWARD chain policy', 'Install iptables (flannel uses it for FLANNEL-FWD and masquerading), or check `iptables -S FORWARD` with your firewall tool.');
  }
  if (output.kind === 'failed') return warn(`cannot read the FORWARD chain: ${output.message}`, 'Run `iptables -S FORWARD` as root to see why.');
  const chain = parseIptablesForward(output.stdout);
  const policy = chain.policy ?? '?';
  if (policy === 'ACCEPT') return pass('FORWARD policy ACCEPT');
  const flannelRules = chain.jumps.includes('FLANNEL-FWD');
  // As FLANNEL-FWD does: one rule for everything from the overlay, one for everything to it.
  const fromOverlay = chain.accepts.some((a) => !a.matchesMore && a.destination === undefined && covers(a.source, network));
  const toOverlay = chain.accepts.some((a) => !a.matchesMore && a.source === undefined && covers(a.destination, network));
  if (flannelRules) return pass(`FORWARD policy ${policy}; flannel's FLANNEL-FWD rules accept ${network}`);
  if (fromOverlay && toOverlay) return pass(`FORWARD policy ${policy}; rules accept ${network} both ways`);
  if (!flannelRuns) return pass(`FORWARD policy ${policy} (Docker's); flannel adds FLANNEL-FWD rules accepting ${network} when it starts`);
  return fail(
    `FORWARD policy ${policy} and no rules accept traffic from and to ${network}: VM traffic through this host is dropped`,
    `flannel adds FLANNEL-FWD rules unless run with --iptables-forward-rules=false; check \`docker logs ${CONTAINER_NAMES.flannel}\`, or accept the overlay: \`iptables -I FORWARD -s ${network} -j ACCEPT && iptables -I FORWARD -d ${network} -j ACCEPT\`.`,
  );
}
