import test from 'ava';
import { once } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import { IgniteError } from '../../src/core/errors.js';
import type { RunEventBody } from '../../src/core/events.js';
import type { Prompter } from '../../src/core/prompt.js';
import { runSteps } from '../../src/core/runner.js';
import type { Step } from '../../src/core/step.js';

const prompter: Prompter = {
  interactive: false,
  select: () => Promise.reject(new Error('no prompt expected')),
  confirm: () => Promise.reject(new Error('no prompt expected')),
  text: () => Promise.reject(new Error('no prompt expected')),
};

interface Recorder {
  calls: string[];
  events: RunEventBody[];
  /** Called with each event as it is emitted, before the runner goes on. */
  onEvent?: (event: RunEventBody) => void;
}

/** Resolves when the run emits an event matching `match` (the runner is parked right after it). */
function emitted(rec: Recorder, match: (event: RunEventBody) => boolean): Promise<void> {
  return new Promise((resolve) => {
    rec.onEvent = (event) => {
      if (match(event)) resolve();
    };
  });
}

function fakeStep(rec: Recorder, id: string, behaviour: 'ok' | 'fail' | 'skip' | 'hang' = 'ok'): Step<Recorder> {
  return {
    id,
    title: `Step ${id}`,
    skip: () => (behaviour === 'skip' ? 'not needed' : undefined),
    async run() {
      rec.calls.push(`run ${id}`);
      if (behaviour === 'fail') throw new IgniteError('docker', `${id} broke`, { hint: 'fix it' });
      if (behaviour === 'hang') await new Promise(() => undefined);
      return { detail: `${id} done`, undo: { title: `undo ${id}`, run: async () => void rec.calls.push(`undo ${id}`) } };
    },
  };
}

function setup(): Recorder {
  return { calls: [], events: [] };
}

const options = (rec: Recorder, signal = new AbortController().signal) => ({
  emit: (e: RunEventBody) => {
    rec.events.push(e);
    rec.onEvent?.(e);
  },
  prompter,
  signal,
  now: () => 1000,
});

test('runs steps in order and emits start/success for each', async (t) => {
  const rec = setup();
  const outcome = await runSteps([fakeStep(rec, 'a'), fakeStep(rec, 'b')], rec, options(rec));
  t.true(outcome.ok);
  t.deepEqual(rec.calls, ['run a', 'run b']);
  t.deepEqual(
    rec.events.map((e) => `${e.type}:${'id' in e ? e.id : ''}`),
    ['step-start:a', 'step-success:a', 'step-start:b', 'step-success:b'],
  );
  const success = rec.events[1];
  t.is(success?.type === 'step-success' ? success.detail : undefined, 'a done');
});

test('a skipped step emits its reason and does not run', async (t) => {
  const rec = setup();
  await runSteps([fakeStep(rec, 'a', 'skip'), fakeStep(rec, 'b')], rec, options(rec));
  t.deepEqual(rec.calls, ['run b']);
  t.like(rec.events[0], { type: 'step-skip', id: 'a', reason: 'not needed' });
});

test('a failure stops the run, reports the typed error and undoes completed steps in reverse, once', async (t) => {
  const rec = setup();
  const outcome = await runSteps(
    [fakeStep(rec, 'a'), fakeStep(rec, 'b'), fakeStep(rec, 'c', 'fail'), fakeStep(rec, 'd')],
    rec,
    options(rec),
  );
  t.false(outcome.ok);
  t.deepEqual(rec.calls, ['run a', 'run b', 'run c', 'undo b', 'undo a']);
  const fail = rec.events.find((e) => e.type === 'step-fail');
  t.like(fail, { id: 'c', error: { kind: 'docker', message: 'c broke', hint: 'fix it', exitCode: 4 } });
  t.deepEqual(outcome.leftInPlace, []);
});

test('a step that says keep is a point of no return: a later failure undoes only what came after it', async (t) => {
  const rec = setup();
  const keeper: Step<Recorder> = {
    id: 'k',
    title: 'Step k',
    async run(_ctx, io) {
      rec.calls.push('run k');
      await io.changed({ title: 'undo k', run: async () => void rec.calls.push('undo k') });
      return { keep: true };
    },
  };
  const outcome = await runSteps([fakeStep(rec, 'a'), keeper, fakeStep(rec, 'b'), fakeStep(rec, 'c', 'fail')], rec, options(rec));
  t.false(outcome.ok);
  t.deepEqual(rec.calls, ['run a', 'run k', 'run b', 'run c', 'undo b']);
  t.deepEqual(outcome.leftInPlace, []);
});

test('keepOnFailure leaves completed steps in place and lists them', async (t) => {
  const rec = setup();
  const outcome = await runSteps([fakeStep(rec, 'a'), fakeStep(rec, 'b', 'fail')], rec, {
    ...options(rec),
    keepOnFailure: true,
  });
  t.deepEqual(rec.calls, ['run a', 'run b']);
  t.deepEqual(outcome.leftInPlace, ['undo a']);
});

test('an abort abandons a step that ignores it after the grace period and undoes what ran', async (t) => {
  const rec = setup();
  const controller = new AbortController();
  // Ctrl-C once b has started: in a microtask, so b's run is under way and ignoring the signal.
  rec.onEvent = (e) => {
    if (e.type === 'step-start' && e.id === 'b') queueMicrotask(() => controller.abort());
  };
  const outcome = await runSteps([fakeStep(rec, 'a'), fakeStep(rec, 'b', 'hang'), fakeStep(rec, 'c')], rec, {
    ...options(rec, controller.signal),
    abortGraceMs: 50,
  });
  t.false(outcome.ok);
  t.is((outcome.error as IgniteError).kind, 'interrupted');
  t.deepEqual(rec.calls, ['run a', 'run b', 'undo a']);
  t.regex(outcome.leftInPlace.join(), /Step b/);
});

test('a step that watches the signal stops, and the changes it declared so far are undone', async (t) => {
  const rec = setup();
  const controller = new AbortController();
  const careful: Step<Recorder> = {
    id: 'careful',
    title: 'careful',
    async run(_ctx, io) {
      io.changed({ title: 'remove half', run: async () => void rec.calls.push('undo half') });
      const aborted = once(io.signal, 'abort');
      controller.abort(); // Ctrl-C while the step works
      await aborted;
      if (io.signal.aborted) throw new Error('saw the abort');
    },
  };
  const outcome = await runSteps([fakeStep(rec, 'a'), careful], rec, options(rec, controller.signal));
  t.is((outcome.error as IgniteError).kind, 'interrupted', 'reported as the interrupt, not as the step\'s own error');
  t.deepEqual(rec.calls, ['run a', 'undo half', 'undo a']);
  t.deepEqual(outcome.leftInPlace, []);
});

test('a failing undo is reported and listed as left in place', async (t) => {
  const rec = setup();
  const broken: Step<Recorder> = {
    id: 'x',
    title: 'x',
    run: async () => ({ undo: { title: 'remove x', run: () => Promise.reject(new Error('busy')) } }),
  };
  const outcome = await runSteps([broken, fakeStep(rec, 'y', 'fail')], rec, options(rec));
  t.deepEqual(outcome.leftInPlace, ['remove x']);
  t.like(rec.events.find((e) => e.type === 'undo'), { ok: false, title: 'remove x' });
});

test('the test pause waits before the named step until resumed, and Ctrl-C while paused undoes what ran', async (t) => {
  const rec = setup();
  let resume: () => void = () => undefined;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  const paused = emitted(rec, (e) => e.type === 'warning' && e.message === 'paused before b');
  const run = runSteps([fakeStep(rec, 'a'), fakeStep(rec, 'b')], rec, {
    ...options(rec),
    pauseBefore: { stepId: 'b', resumed, message: 'paused before b' },
  });
  await paused;
  await turn(); // a runner that did not wait would have run b by now (fake steps settle in microtasks)
  t.deepEqual(rec.calls, ['run a'], 'b has not run while paused');
  t.like(rec.events.at(-1), { type: 'warning', message: 'paused before b' });
  resume();
  t.true((await run).ok);
  t.deepEqual(rec.calls, ['run a', 'run b']);

  const rec2 = setup();
  const controller = new AbortController();
  const paused2 = emitted(rec2, (e) => e.type === 'warning' && e.message === 'paused');
  const interrupted = runSteps([fakeStep(rec2, 'a'), fakeStep(rec2, 'b')], rec2, {
    ...options(rec2, controller.signal),
    pauseBefore: { stepId: 'b', resumed: new Promise(() => undefined), message: 'paused' },
  });
  await paused2;
  controller.abort();
  const outcome = await interrupted;
  t.is((outcome.error as IgniteError).kind, 'interrupted');
  t.deepEqual(rec2.calls, ['run a', 'undo a']);
});

/** A step that declares three changes one by one, recording how far it got. */
function threeChanges(rec: Recorder): Step<Recorder> {
  return {
    id: 'c',
    title: 'Step c',
    async run(_ctx, io) {
      for (const n of [1, 2, 3]) {
        rec.calls.push(`change ${n}`);
        await io.changed({ title: `undo change ${n}`, run: async () => void rec.calls.push(`undo change ${n}`) });
      }
    },
  };
}

test('the test pause inside a step waits after its n-th change; Ctrl-C there stops the step and undoes what it did', async (t) => {
  const rec = setup();
  const controller = new AbortController();
  const paused = emitted(rec, (e) => e.type === 'warning' && e.message === 'paused in c');
  const run = runSteps([fakeStep(rec, 'a'), threeChanges(rec), fakeStep(rec, 'b')], rec, {
    ...options(rec, controller.signal),
    pauseBefore: { stepId: 'c', afterChange: 2, resumed: new Promise(() => undefined), message: 'paused in c' },
  });
  await paused;
  await turn();
  t.deepEqual(rec.calls, ['run a', 'change 1', 'change 2'], 'paused right after the second change');
  controller.abort();
  const outcome = await run;
  t.is((outcome.error as IgniteError).kind, 'interrupted');
  t.deepEqual(rec.calls, ['run a', 'change 1', 'change 2', 'undo change 2', 'undo change 1', 'undo a'], 'the step stopped at its next change; each undone once, newest first');
  t.like(rec.events.find((e) => e.type === 'step-fail'), { id: 'c' });
});

test('once interrupted, a step stops at its next declared change (a change not awaited is still undone)', async (t) => {
  const rec = setup();
  const controller = new AbortController();
  const careless: Step<Recorder> = {
    id: 'd',
    title: 'Step d',
    async run(_ctx, io) {
      controller.abort();
      void io.changed({ title: 'undo d1', run: async () => void rec.calls.push('undo d1') });
      await turn();
      rec.calls.push('d goes on');
    },
  };
  const outcome = await runSteps([careless, threeChanges(rec)], rec, options(rec, controller.signal));
  t.is((outcome.error as IgniteError).kind, 'interrupted');
  t.deepEqual(rec.calls, ['d goes on', 'undo d1'], 'no unhandled rejection; the next step never ran');
});

test('an interrupt with every change undone does not point at cleanup; one that leaves something does', async (t) => {
  const rec = setup();
  const controller = new AbortController();
  controller.abort(); // Ctrl-C before anything ran: nothing is set up
  const early = await runSteps([fakeStep(rec, 'a')], rec, options(rec, controller.signal));
  t.deepEqual(early.leftInPlace, []);
  t.notRegex((early.error as IgniteError).hint ?? '', /cleanup/);
  t.is((early.error as IgniteError).hint, 'Run the same command again to start over.');

  const rec2 = setup();
  const controller2 = new AbortController();
  const stuck: Step<Recorder> = {
    id: 'stuck',
    title: 'stuck',
    async run(_ctx, io) {
      io.changed({ title: 'remove the thing', run: async () => Promise.reject(new Error('busy')) });
      controller2.abort();
      throw new Error('saw the abort');
    },
  };
  const left = await runSteps([stuck], rec2, options(rec2, controller2.signal));
  t.deepEqual(left.leftInPlace, ['remove the thing']);
  t.is((left.error as IgniteError).kind, 'interrupted');
  t.regex((left.error as IgniteError).hint ?? '', /`ignite-net cleanup` to remove what was left/);
});
