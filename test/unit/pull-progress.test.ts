import test from 'ava';
import { applyPullEvent } from '../../src/adapters/docker/pull-progress.js';
import type { PullProgress } from '../../src/core/events.js';

test('applyPullEvent: layers, non-layer lines and error lines', (t) => {
  const progress: PullProgress = { image: 'x', layers: {} };
  t.false(applyPullEvent(progress, { status: 'Pulling from library/x', id: 'v1' }).changed);
  t.true(applyPullEvent(progress, { status: 'Pulling fs layer', id: 'abc' }).changed);
  applyPullEvent(progress, { status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 }, progress: '[=>  ]' });
  t.deepEqual(progress.layers['abc'], { status: 'Downloading', current: 10, total: 100 });
  t.false(applyPullEvent(progress, { status: 'Digest: sha256:0' }).changed);
  t.deepEqual(applyPullEvent(progress, { errorDetail: { message: 'unauthorized:\n denied' }, error: 'x' }), {
    error: 'unauthorized: denied',
    changed: false,
  });
});
