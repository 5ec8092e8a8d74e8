/** Ctrl-C before the 2nd, 4th, 6th, … step of `cleanup` (the cases: test/_helpers/interrupt-cleanup.ts). */
import test from 'ava';
import { registerCleanupInterruptTests } from '../_helpers/interrupt-cleanup.js';

registerCleanupInterruptTests(test, (index) => index % 2 === 1);
