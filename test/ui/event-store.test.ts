import test from 'ava';
import type { ErrorView } from '../../src/core/errors.js';
import { createEventStore, initialState, reduce, reduceEvent } from '../../src/ui/event-store.js';
import type { PromptRequest, ViewState } from '../../src/ui/event-store.js';
import { at, TS } from './_helpers.js';

const run = (...events: Parameters<typeof at>[0][]): ViewState =>
  events.reduce<ViewState>((state, event) => reduceEvent(state, at(event)), initialState());

const failure: ErrorView = { kind: 'etcd', exitCode: 5, message: 'etcd did not answer', hint: 'docker logs ignite-etcd', details: ['last log'] };

test('a started step is running, with its start time and latest progress', (t) => {
  const state = run(
    { type: 'command-start', command: 'init' },
    { type: 'step-start', id: 'etcd', title: 'Start etcd' },
    { type: 'step-progress', id: 'etcd', message: 'creating container' },
    { type: 'step-progress', id: 'etcd', message: 'waiting for 127.0.0.1:2379' },
  );
  t.is(state.command, 'init');
  t.deepEqual(state.finished, []);
  t.is(state.running.length, 1);
  t.like(state.running[0], { id: 'etcd', status: 'running', message: 'waiting for 127.0.0.1:2379', startedAt: Date.parse(TS) });
});

test('an ended step leaves running for finished, keeps checks and warnings, drops progress', (t) => {
  const state = run(
    { type: 'step-start', id: 'preflight', title: 'Preflight checks' },
    { type: 'step-progress', id: 'preflight', message: 'checking ports' },
    { type: 'check', stepId: 'preflight', check: { name: 'Port-2379', status: 'fail', message: 'in use' } },
    { type: 'warning', stepId: 'preflight', message: 'swap is on' },
    { type: 'step-success', id: 'preflight', title: 'Preflight checks', durationMs: 420, detail: 'all good' },
  );
  t.deepEqual(state.running, []);
  t.is(state.finished.length, 1);
  const entry = state.finished[0];
  if (entry?.kind !== 'step') return t.fail('expected a step entry');
  t.is(entry.key, 0);
  t.like(entry.step, { status: 'success', durationMs: 420, detail: 'all good' });
  t.is(entry.step.message, undefined);
  t.deepEqual(entry.step.checks, [{ name: 'Port-2379', status: 'fail', message: 'in use' }]);
  t.deepEqual(entry.step.warnings, [{ stepId: 'preflight', message: 'swap is on' }]);
});

test('failed and skipped steps carry the error and the reason', (t) => {
  const state = run(
    { type: 'step-skip', id: 'pull', title: 'Pull images', reason: 'images present' },
    { type: 'step-start', id: 'etcd', title: 'Start etcd' },
    { type: 'step-fail', id: 'etcd', title: 'Start etcd', durationMs: 60_000, error: failure },
  );
  const [skip, fail] = state.finished;
  t.like(skip, { kind: 'step', key: 0, step: { id: 'pull', status: 'skip', reason: 'images present' } });
  t.like(fail, { kind: 'step', key: 1, step: { id: 'etcd', status: 'fail', durationMs: 60_000, error: failure } });
});

test('a progress without pull data clears the previous pull view', (t) => {
  const pull = { image: 'etcd:v3', layers: { a: { status: 'Downloading', current: 1, total: 2 } } };
  const withPull = run({ type: 'step-start', id: 'pull', title: 'Pull' }, { type: 'step-progress', id: 'pull', message: 'p', pull });
  t.deepEqual(withPull.running[0]?.pull, pull);
  const after = reduceEvent(withPull, at({ type: 'step-progress', id: 'pull', message: 'verifying' }));
  t.is(after.running[0]?.pull, undefined);
  t.is(after.running[0]?.message, 'verifying');
});

test('warnings attach to their step, to the running step, or stand alone', (t) => {
  const during = run({ type: 'step-start', id: 'net', title: 'Detect' }, { type: 'warning', message: 'no TTY' });
  t.deepEqual(during.running[0]?.warnings, [{ message: 'no TTY' }]);
  const alone = run({ type: 'warning', message: 'old flannel found', hint: 'run cleanup' });
  t.like(alone.finished[0], { kind: 'warning', warning: { message: 'old flannel found', hint: 'run cleanup' } });
  const orphanCheck = run({ type: 'check', stepId: 'gone', check: { name: 'X', status: 'warn', message: 'm' } });
  t.like(orphanCheck.finished[0], { kind: 'check', stepId: 'gone' });
});

test('undo, summary and command-end are recorded', (t) => {
  const state = run(
    { type: 'undo', id: 'rm', title: 'Remove ignite-etcd', ok: false, message: 'busy' },
    { type: 'summary', title: 'Ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: ['ignite-net join 1.2.3.4'] },
    { type: 'command-end', ok: false, exitCode: 5, durationMs: 10, leftInPlace: ['container ignite-etcd'] },
  );
  t.like(state.finished[0], { kind: 'undo', title: 'Remove ignite-etcd', ok: false, message: 'busy' });
  t.deepEqual(state.summary, { title: 'Ready', lines: [{ label: 'subnet', value: '10.50.31.0/24' }], next: ['ignite-net join 1.2.3.4'] });
  t.deepEqual(state.end, { ok: false, exitCode: 5, durationMs: 10, leftInPlace: ['container ignite-etcd'] });
});

test('finished only grows: earlier entries keep their identity (ink <Static> relies on it)', (t) => {
  const one = run({ type: 'step-start', id: 'a', title: 'A' }, { type: 'step-success', id: 'a', title: 'A', durationMs: 1 });
  const two = reduceEvent(reduceEvent(one, at({ type: 'step-start', id: 'b', title: 'B' })), at({ type: 'step-success', id: 'b', title: 'B', durationMs: 2 }));
  t.is(two.finished[0], one.finished[0]);
  t.deepEqual(two.finished.map((entry) => entry.key), [0, 1]);
});

const confirmPrompt = (id: number): PromptRequest => ({
  id,
  kind: 'confirm',
  question: `q${id}`,
  flag: '--yes',
  resolve: () => {},
  reject: () => {},
});

test('questions queue, and an answer becomes a finished entry', (t) => {
  let state = reduce(initialState(), { kind: 'ask', prompt: confirmPrompt(1) });
  state = reduce(state, { kind: 'ask', prompt: confirmPrompt(2) });
  t.deepEqual(state.prompts.map((p) => p.id), [1, 2]);
  state = reduce(state, { kind: 'answered', id: 1, answer: 'yes' });
  t.deepEqual(state.prompts.map((p) => p.id), [2]);
  t.like(state.finished[0], { kind: 'answer', question: 'q1', answer: 'yes' });
  t.is(reduce(state, { kind: 'answered', id: 99, answer: 'x' }), state);
  t.deepEqual(reduce(state, { kind: 'drop-prompts' }).prompts, []);
});

test('the store notifies on change only, until unsubscribed', (t) => {
  const store = createEventStore();
  let calls = 0;
  const off = store.subscribe(() => calls++);
  store.dispatch({ kind: 'event', event: at({ type: 'command-start', command: 'join' }) });
  store.dispatch({ kind: 'answered', id: 5, answer: 'no such prompt' });
  t.is(calls, 1);
  t.is(store.getState().command, 'join');
  off();
  store.dispatch({ kind: 'event', event: at({ type: 'command-start', command: 'cleanup' }) });
  t.is(calls, 1);
});
