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
