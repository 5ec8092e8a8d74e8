// What the Engine's failures mean (src/adapters/docker/errors.ts), with errors shaped as docker-modem makes them.
import test from 'ava';
import {
  absentOn404,
  connectionFailure,
  engineMessage,
  pingFailure,
  removedOnRemovalInProgress,
  stoppedOn304,
} from '../../src/adapters/docker/errors.js';
import { IgniteError } from '../../src/core/errors.js';

const http = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });
const socket = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

test('absentOn404: a 404 is undefined, a value passes, other failures are thrown as they are', async (t) => {
  t.is(await absentOn404(() => Promise.reject(http(404, 'no such container: x'))), undefined);
  t.is(await absentOn404(() => Promise.resolve('info')), 'info');
  const other = http(500, 'boom');
  t.is(await t.throwsAsync(absentOn404(() => Promise.reject(other))), other);
});

test('stoppedOn304: already stopped is stopped; a 404 goes on to the caller', async (t) => {
  t.true(await stoppedOn304(() => Promise.reject(http(304, ''))));
  t.true(await stoppedOn304(() => Promise.resolve()));
  t.is(await absentOn404(() => stoppedOn304(() => Promise.reject(http(404, 'no such container')))), undefined);
});

test('removedOnRemovalInProgress: only 409 "removal already in progress" counts as removed', async (t) => {
  t.true(await removedOnRemovalInProgress(() => Promise.reject(http(409, 'removal of container x is already in progress'))));
  const conflict = http(409, 'You cannot remove a running container');
  t.is(await t.throwsAsync(removedOnRemovalInProgress(() => Promise.reject(conflict))), conflict);
});

test('engineMessage: the Engine\'s own sentence on one line', (t) => {
  t.is(engineMessage(http(500, 'driver failed:\n  no space')), 'driver failed: no space');
  t.is(engineMessage(Object.assign(new Error('(HTTP code 502) bad gateway - upstream gone'), { statusCode: 502 })), 'upstream gone');
  t.is(engineMessage(Object.assign(new Error('x'), { json: Buffer.from('plain body') })), 'plain body');
  t.is(engineMessage('text'), 'text');
});

test('connectionFailure: socket errors name the address and its source; Engine answers are not connection failures', (t) => {
  const error = connectionFailure('unix:///x.sock', 'DOCKER_HOST', socket('ECONNRESET'));
  t.true(error instanceof IgniteError);
  t.is(error?.message, 'Docker Engine is not reachable at unix:///x.sock (ECONNRESET)');
  t.deepEqual(error?.details, ['address taken from DOCKER_HOST']);
  t.is(connectionFailure('unix:///x.sock', 'DOCKER_HOST', http(500, 'boom')), undefined);
});

test('pingFailure: each way a ping fails has its own message', (t) => {
  const where = 'unix:///x.sock';
  const message = (error: unknown, timedOut?: { afterMs: number }): string => pingFailure(where, '--docker-host', error, timedOut).message;
  t.is(message(socket('ENOENT')), `Docker Engine is not reachable at ${where} (no such socket)`);
  t.is(message(socket('ECONNREFUSED')), `Docker Engine is not reachable at ${where} (connection refused)`);
  t.is(message(socket('EACCES')), `Docker Engine is not reachable at ${where} (permission denied)`);
  t.regex(pingFailure(where, '--docker-host', socket('EACCES'), undefined).hint ?? '', /docker group; check the permissions of \/x\.sock/);
  t.is(message(socket('ENOTSOCK')), `Docker Engine is not reachable at ${where} (ENOTSOCK: not a socket)`);
  t.is(message(socket('HPE_INVALID_CONSTANT')), `Something answers at ${where} but it is not a Docker Engine (it does not speak HTTP)`);
  t.is(message(socket('ECONNRESET'), { afterMs: 300 }), `Docker Engine is not reachable at ${where} (no answer within 300ms)`);
  t.is(message(http(500, 'unwell')), `Docker Engine at ${where} answers with an error: unwell`);
  t.is(message(Object.assign(new Error('(HTTP code 404) not found'), { statusCode: 404 })), `Something answers at ${where} but it is not a Docker Engine (GET /_ping answered HTTP 404)`);
});
