import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { settled } from '../../src/core/settled.js';

test('settled gives each result in its place', async (t) => {
  t.deepEqual(await settled<[number, string]>([Promise.resolve(1), sleep(5).then(() => 'two')]), [1, 'two']);
});

test('settled throws the first error only once the others have finished', async (t) => {
  let slowDone = false;
  const slow = sleep(30).then(() => {
    slowDone = true;
  });
  const error = await t.throwsAsync(settled<[void, never]>([slow, Promise.reject(new Error('boom'))]));
  t.is(error?.message, 'boom');
  t.true(slowDone);
});
