import test from 'ava';
import { ExitCode, IgniteError } from '../../src/core/errors.js';
import type { Prompter as CorePrompter } from '../../src/core/prompt.js';
import { createNonInteractivePrompter } from '../../src/ui/noninteractive-prompter.js';
import type { DefaultAnswer } from '../../src/ui/noninteractive-prompter.js';

const addresses = [
  { label: '192.168.1.2 (eth0)', value: '192.168.1.2', description: 'default route' },
  { label: '10.0.0.2 (eth1)', value: '10.0.0.2' },
];

test('a select without default fails with a usage error naming the flag and the choices', async (t) => {
  const prompter = createNonInteractivePrompter();
  const error = await t.throwsAsync(prompter.select('Which address?', addresses, { flag: '--advertise-address' }), { instanceOf: IgniteError });
  t.is(error?.kind, 'usage');
  t.is(error?.exitCode, ExitCode.usage);
  t.is(error?.message, 'cannot ask "Which address?": there is no terminal to answer it');
  t.is(error?.hint, 'Pass --advertise-address with one of: 192.168.1.2, 10.0.0.2.');
  t.deepEqual(error?.details, ['192.168.1.2 (eth0) — default route', '10.0.0.2 (eth1)']);
});

test('confirm and text name their flags', async (t) => {
  const prompter = createNonInteractivePrompter({ reason: 'stdin is not a terminal' });
  const confirm = await t.throwsAsync(prompter.confirm('Replace the CNI config?', { flag: '--force' }), { instanceOf: IgniteError });
  t.is(confirm?.message, 'cannot ask "Replace the CNI config?": stdin is not a terminal');
  t.is(confirm?.hint, 'Pass --force to answer it without a prompt.');
  const text = await t.throwsAsync(prompter.text('etcd endpoint?', { flag: '--etcd-endpoint' }), { instanceOf: IgniteError });
  t.is(text?.hint, 'Pass --etcd-endpoint <value> to answer it without a prompt.');
});

test('defaults answer without a terminal and are reported with the label and flag', async (t) => {
  const told: DefaultAnswer[] = [];
  const prompter = createNonInteractivePrompter({ onDefault: (answer) => told.push(answer) });
  t.is(await prompter.select('Which address?', addresses, { flag: '--advertise-address', defaultWithoutTty: '10.0.0.2' }), '10.0.0.2');
  t.false(await prompter.confirm('Overwrite?', { flag: '--force', defaultWithoutTty: false }));
  t.is(await prompter.text('Name?', { flag: '--name', defaultWithoutTty: 'cbr0' }), 'cbr0');
  t.deepEqual(told, [
    { question: 'Which address?', flag: '--advertise-address', answer: '10.0.0.2 (eth1)' },
    { question: 'Overwrite?', flag: '--force', answer: 'no' },
    { question: 'Name?', flag: '--name', answer: 'cbr0' },
  ]);
});

test('the short positional call style still works (no flag named: generic hint)', async (t) => {
  const prompter = createNonInteractivePrompter();
  const error = await t.throwsAsync(prompter.select('Which?', addresses, 1), { instanceOf: IgniteError });
  t.is(error?.hint, 'Run the command in a terminal to answer it, or pass the matching option.');
  await t.throwsAsync(prompter.text('Name?', (answer) => (answer ? undefined : 'required')), { instanceOf: IgniteError });
  // And it is usable where core's interface is expected.
  const core: CorePrompter = createNonInteractivePrompter();
  t.false(core.interactive);
});
