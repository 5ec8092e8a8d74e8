/**
 * IgniteError across copies of src/core/errors.ts: dist/ holds two (the commands' CommonJS bundle,
 * the terminal UI's ES module chunks), and the UI's prompter rejects with its copy's errors.
 */
import test from 'ava';
import { EtcdUnreachableError } from '../../src/adapters/etcd/errors.js';
import { IgniteError, interruptedError, isIgniteError, isPlainInterrupt } from '../../src/core/errors.js';

type ErrorsModule = typeof import('../../src/core/errors.js');
// A query string makes Node load the file again as a separate module, with its own IgniteError.
const other = (await import(`../../src/core/errors.js?copy=${Date.now()}`)) as ErrorsModule;

test('an IgniteError from another copy of the module is an IgniteError here', (t) => {
  t.not(other.IgniteError, IgniteError);
  const error = other.interruptedError();
  t.false(Object.getPrototypeOf(error) === IgniteError.prototype);
  t.true(error instanceof IgniteError);
  t.true(isIgniteError(error));
  t.true(isPlainInterrupt(error));
  t.true(interruptedError() instanceof other.IgniteError);
});

test('what is not an IgniteError is not one: plain errors, look-alikes, primitives', (t) => {
  t.false(new Error('x') instanceof IgniteError);
  t.false(Object.assign(new Error('x'), { name: 'IgniteError', kind: 'usage', exitCode: 2 }) instanceof IgniteError);
  t.false(isIgniteError({ kind: 'usage', message: 'x' }));
  t.false(isIgniteError(null));
  t.false(isIgniteError('IgniteError'));
});

test('a subclass keeps the usual test: an IgniteError is not an EtcdUnreachableError', (t) => {
  t.false(new IgniteError('etcd', 'x') instanceof EtcdUnreachableError);
  t.false(other.interruptedError() instanceof EtcdUnreachableError);
  const unreachable = new EtcdUnreachableError('etcd is not reachable', 'connection refused', 'start it', undefined);
  t.true(unreachable instanceof EtcdUnreachableError);
  t.true(unreachable instanceof IgniteError);
});

test('the mark is not an own, enumerable property: JSON and inspection show the error as before', (t) => {
  const error = new IgniteError('usage', 'bad flag', { hint: 'h' });
  t.deepEqual(Object.getOwnPropertySymbols(error), []);
  t.false(JSON.stringify(error).includes('ignite-net'));
});
