import { usageError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { isWireguardKey, validateBackend } from '../net/backend.js';
import type { CommandContext } from './context.js';

/**
 * init --wireguard-psk-file: reads flannel's pre-shared key before any change. The file must be a
 * regular file no one but its owner can read (0600 or stricter) and hold one key as `wg genpsk`
 * prints it. The key goes into the network config as flannel's `PSK` (every host's flannel reads the
 * config, so every flannel identity can read the key: that is how flannel needs it) and into no
 * output: messages name the file, never the key.
 */
export const wireguardPskStep: Step<CommandContext> = {
  id: 'wireguard-psk',
  title: "Read wireguard's pre-shared key",
  skip: (ctx) => (ctx.options.wireguardPskFile === undefined ? 'no --wireguard-psk-file' : undefined),
  async run(ctx) {
    const path = ctx.options.wireguardPskFile;
    const backend = ctx.network.Backend;
    if (path === undefined || backend.Type !== 'wireguard') return { detail: 'no pre-shared key' };
    const { files } = ctx.services;
    const mode = await files.fileMode(path);
    if (mode === undefined) throw usageError(`--wireguard-psk-file ${path} is not a file`, 'Make one: `wg genpsk > flannel.psk && chmod 600 flannel.psk`.');
    if ((mode & 0o077) !== 0) {
      throw usageError(`--wireguard-psk-file ${path} can be read by others (mode ${mode.toString(8).padStart(4, '0')})`, `It holds a secret: \`chmod 600 ${path}\`, then run init again.`);
    }
    const key = ((await files.readIfExists(path)) ?? '').trim();
    if (!isWireguardKey(key)) throw usageError(`--wireguard-psk-file ${path} does not hold a WireGuard key (base64 of 32 bytes, as \`wg genpsk\` prints)`, 'Make one: `wg genpsk > flannel.psk && chmod 600 flannel.psk`.');
    const withKey = { ...backend, PSK: key };
    validateBackend(withKey);
    ctx.network = { ...ctx.network, Backend: withKey };
    return { detail: `${path} (0${mode.toString(8)}): the key goes into the network config as PSK` };
  },
};
