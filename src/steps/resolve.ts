/**
 * Steps that learn what the checks and later steps need, before preflight: the Docker client and the
 * advertise address. They never fail a command themselves: what goes wrong here is reported by the
 * matching check (DockerEngine, AdvertiseAddress), so preflight still lists every problem at once.
 */
import { IgniteError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { chooseAdvertiseAddress } from '../net/advertise.js';
import type { CommandContext } from './context.js';

/** Connects to the Docker Engine once per command (services.docker() keeps the client). */
export const dockerStep: Step<CommandContext> = {
  id: 'docker',
  title: 'Connect to Docker',
  async run(ctx) {
    try {
      ctx.docker = await ctx.services.docker();
      return { detail: ctx.docker.where };
    } catch (error) {
      if (!(error instanceof IgniteError)) throw error;
      ctx.dockerProblem = error;
      return { detail: 'not reachable (see the DockerEngine check)' };
    }
  },
};

/**
 * Chooses the address other hosts reach this one on: the one given (it must be on this host: flannel
 * picks its interface by it), the only candidate, or the default route's — asking when several could serve
 * and a terminal can answer.
 */
export const advertiseStep: Step<CommandContext> = {
  id: 'advertise',
  title: 'Choose the advertise address',
  async run(ctx, io) {
    const { network } = ctx.services;
    const choice = chooseAdvertiseAddress(network.readAddresses(), await network.readRoutes(), ctx.options.advertiseAddress);
    const found = (finding: NonNullable<CommandContext['advertiseFinding']>, advertise?: { address: string; iface: string }): { detail: string } => {
      ctx.advertiseFinding = finding;
      if (advertise) ctx.advertise = advertise;
      return { detail: advertise ? `${advertise.address} (${advertise.iface})` : 'none (see the AdvertiseAddress check)' };
    };
    switch (choice.kind) {
      case 'given':
      case 'single':
        return found({ status: 'pass', message: `${choice.address} (${choice.iface})` }, { address: choice.address, iface: choice.iface });
      case 'not-local':
        return found({
          status: 'fail',
          message: `${choice.address} is not an address of this host`,
          hint: `Pass one of: ${choice.candidates.map((c) => c.address).join(', ') || '(none found)'}. flannel finds its interface by this address, so it must be on this host (an address behind NAT is not supported).`,
        });
      case 'none':
        return found({ status: 'fail', message: 'no usable network address found on this host', hint: 'Bring up an interface, or pass --advertise-address.' });
      case 'several': {
        if (io.prompter.interactive && !ctx.options.yes) {
          const picked = await io.prompter.select(
            'Several addresses could carry the overlay. Which one should other hosts reach this host on?',
            choice.candidates.map((c) => ({ label: c.address, value: c, description: c.iface })),
            { flag: '--advertise-address', initial: 0 },
          );
          return found({ status: 'pass', message: `${picked.address} (${picked.iface}), chosen` }, { address: picked.address, iface: picked.iface });
        }
        const { preferred } = choice;
        const others = choice.candidates.slice(1).map((c) => `${c.address} (${c.iface})`).join(', ');
        return found(
          {
            status: 'warn',
            message: `picked ${preferred.address} (${preferred.iface}, default route); also possible: ${others}`,
            hint: 'Pass --advertise-address to choose another.',
          },
          { address: preferred.address, iface: preferred.iface },
        );
      }
    }
  },
};
