/** Ctrl-C at the 1st, 3rd, 5th, … interruption point of `join` (the cases: test/_helpers/interrupt-join.ts). */
import test from 'ava';
import { joinStepIds, registerJoinInterruptTests } from '../_helpers/interrupt-join.js';

test('the step ids of join are known', (t) => {
  t.true(['state', 'peer', 'identity', 'flannel', 'cni', 'verify'].every((id) => joinStepIds.includes(id)), joinStepIds.join());
});

registerJoinInterruptTests(test, (index) => index % 2 === 0);
