/** CHECK_NAMES is the list --ignore-preflight-errors accepts: every name a check reports must be in it. */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKnownCheckName } from '../../src/core/check-names.js';
import { BACKEND_TYPES } from '../../src/net/backend.js';
import { initChecks, joinChecks } from '../../src/steps/preflight.js';

test("every preflight check of init and join (every backend, control plane or not) has a known name", (t) => {
  const names = new Set(BACKEND_TYPES.flatMap((b) => [...initChecks(b), ...joinChecks(false, b), ...joinChecks(true, b)].map((c) => c.name)));
  t.true(names.size > 10);
  t.deepEqual([...names].filter((n) => !isKnownCheckName(n)), []);
});

test("every check name written in src/doctor and src/steps is known (a new check must be added to CHECK_NAMES)", (t) => {
  const root = join(import.meta.dirname, '../../src');
  const names = ['doctor', 'steps'].flatMap((dir) =>
    readdirSync(join(root, dir)).flatMap((file) => [...readFileSync(join(root, dir, file), 'utf8').matchAll(/(?:\bname: |asCheck\(|dirCheck\()'([A-Z][A-Za-z0-9-]+)'/g)].map((m) => m[1] as string)),
  );
  t.true(names.includes('PeerAddress') && names.includes('OverlayMTU'), 'the scan finds doctor and preflight checks');
  t.deepEqual(names.filter((n) => !isKnownCheckName(n)), []);
});
