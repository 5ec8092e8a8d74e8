/** Ctrl-C before the 1st, 3rd, 5th, … step of `cleanup` (the cases: test/_helpers/interrupt-cleanup.ts). */
import test from 'ava';
import { cleanupStepIds, registerCleanupInterruptTests } from '../_helpers/interrupt-cleanup.js';

test('the step ids of cleanup are known', (t) => {
  t.true(['state', 'confirm', 'cni'].every((id) => cleanupStepIds.includes(id)), cleanupStepIds.join());
});

registerCleanupInterruptTests(test, (index) => index % 2 === 0);
