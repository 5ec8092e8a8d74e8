/** Ctrl-C at the 2nd, 4th, 6th, … interruption point of `join` (the cases: test/_helpers/interrupt-join.ts). */
import test from 'ava';
import { registerJoinInterruptTests } from '../_helpers/interrupt-join.js';

registerJoinInterruptTests(test, (index) => index % 2 === 1);
