import type { Command } from '../options.js';
import { cleanupCommand } from './cleanup.js';
import type { CommandSpec } from './command.js';
import { doctorCommand } from './doctor.js';
import { initCommand } from './init.js';
import { joinCommand } from './join.js';
import { hostsCommand } from './hosts.js';
import { ipamCommand } from './ipam.js';
import { subnetsCommand } from './subnets.js';
import { tokenCommand } from './token.js';

/** Commands that run as a list of steps through the runner; status and logs render views instead. */
export type StepCommand = Exclude<Command, 'status' | 'logs'>;

const commands: Record<StepCommand, CommandSpec> = { init: initCommand, join: joinCommand, cleanup: cleanupCommand, doctor: doctorCommand, token: tokenCommand, hosts: hostsCommand, ipam: ipamCommand, subnets: subnetsCommand };

export const commandFor = (name: StepCommand): CommandSpec => commands[name];
