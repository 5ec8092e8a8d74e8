import test from 'ava';
import { parseJoinRecord, parseTokenRecord } from '../../src/pki/records.js';

test('token and join records read back as written; a missing, unreadable or incomplete one is undefined', (t) => {
  const join = { address: '192.0.2.3', hostname: 'node3', user: 'ignite-host-abc123', at: '2026-01-01T00:00:00.000Z' };
  t.deepEqual(parseJoinRecord(JSON.stringify(join)), join);
  const token = { id: 'abc123', user: 'ignite-host-abc123', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z' };
  t.deepEqual(parseTokenRecord(JSON.stringify(token)), token);
  for (const bad of [undefined, 'not json', '{}', JSON.stringify({ ...join, address: 7 })]) t.is(parseJoinRecord(bad), undefined);
  t.is(parseTokenRecord(JSON.stringify({ id: 'abc123' })), undefined);
});
