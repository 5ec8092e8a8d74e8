import test from 'ava';
import { IgniteError } from '../../src/core/errors.js';
import { formatToken, joinCommand, newPassword, newToken, open, parseCaPin, parseToken, seal, sealedExpired, SEALED_EXPIRY_LEEWAY_MS } from '../../src/pki/token.js';

test('new tokens have kubeadm\'s form and differ', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i += 1) {
    const text = formatToken(newToken());
    t.regex(text, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    seen.add(text);
  }
  t.is(seen.size, 50);
});

test('parseToken takes the printed form back and refuses anything else without echoing it', (t) => {
  t.deepEqual(parseToken(' abc123.0123456789abcdef '), { id: 'abc123', secret: '0123456789abcdef' });
  for (const bad of ['', 'abc123', 'ABC123.ZYXWVUTSRQ987654', 'abc123.zyxwvutsrq98765', 'abc123-zyxwvutsrq987654', 'abc123.zyxwvutsrq9876543']) {
    const error = t.throws(() => parseToken(bad), { instanceOf: IgniteError });
    t.is(error?.kind, 'usage');
    t.false(error?.message.includes('zyxwvutsrq') ?? true, 'the error must not repeat the secret');
  }
});

test('parseCaPin accepts sha256 and 64 hex digits (case-insensitive)', (t) => {
  const pin = `sha256:${'ab'.repeat(32)}`;
  t.is(parseCaPin(pin.toUpperCase().replace('SHA256', 'sha256')), pin);
  t.throws(() => parseCaPin('sha256:abcd'), { message: /is not a CA pin/ });
  t.throws(() => parseCaPin(`md5:${'ab'.repeat(32)}`), { message: /is not a CA pin/ });
});

test('joinCommand starts with sudo ignite-net join <address> and carries token and pin', (t) => {
  const pin = `sha256:${'0'.repeat(64)}`;
  t.is(joinCommand('192.168.1.2', { id: 'abc123', secret: '0123456789abcdef' }, pin), `sudo ignite-net join 192.168.1.2 --token abc123.0123456789abcdef --ca-cert-hash ${pin}`);
});

test('a sealed box opens with its token only', (t) => {
  const token = newToken();
  const box = seal(token, '{"user":"ignite-host-x","password":"p"}');
  t.is(open(token, box), '{"user":"ignite-host-x","password":"p"}');
  t.false(box.includes('ignite-host-x'));
  t.is(open({ ...token, secret: newToken().secret }, box), undefined);
  t.is(open({ ...token, id: newToken().id }, box), undefined);
  const [version, data = ''] = box.split('.');
  const flipped = Buffer.from(data, 'base64url');
  flipped[20] = (flipped[20] ?? 0) ^ 1;
  t.is(open(token, `${version}.${flipped.toString('base64url')}`), undefined);
  t.is(open(token, 'garbage'), undefined);
  t.not(seal(token, 'same'), seal(token, 'same'), 'a fresh IV each time');
});

test('passwords are long and random', (t) => {
  const a = newPassword();
  t.true(a.length >= 32);
  t.not(a, newPassword());
});

test('a sealed expiry: refused once more than the leeway past it; boxes without one (made before) are not', (t) => {
  const expiresAt = '2026-01-01T01:00:00.000Z';
  const at = Date.parse(expiresAt);
  t.false(sealedExpired(expiresAt, new Date(at - 1)));
  t.false(sealedExpired(expiresAt, new Date(at + SEALED_EXPIRY_LEEWAY_MS)), 'a joining clock a little ahead');
  t.true(sealedExpired(expiresAt, new Date(at + SEALED_EXPIRY_LEEWAY_MS + 1)));
  t.false(sealedExpired(undefined, new Date(at + 10 * SEALED_EXPIRY_LEEWAY_MS)));
  t.true(sealedExpired('not a time', new Date(at)), 'an unreadable expiry is not trusted');
});
