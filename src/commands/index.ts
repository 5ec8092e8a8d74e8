import type { Command } from '../args.js';
import { cleanupCommand } from './cleanup.js';
import type { CommandSpec } from './command.js';
import { initCommand } from './init.js';
import { joinCommand } from './join.js';

const commands: Record<Command, CommandSpec> = { init: initCommand, join: joinCommand, cleanup: cleanupCommand };

export const commandFor = (name: Command): CommandSpec => commands[name];
