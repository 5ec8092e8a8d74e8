import test from 'ava';
import { pkiLayout } from '../../src/pki/layout.js';

test('the CA key and the root credential are outside the directories the containers mount', (t) => {
  const layout = pkiLayout('/var/lib/ignite-net');
  const mounted = [layout.etcdTls.dir, layout.flannelTls.dir];
  for (const secret of [layout.caKey, layout.rootCredential]) {
    t.false(mounted.some((dir) => secret.startsWith(`${dir}/`)), secret);
  }
  for (const path of Object.values(layout.etcdTls)) t.true(path.startsWith('/var/lib/ignite-net/etcd-tls'), path);
  for (const path of Object.values(layout.flannelTls)) t.true(path.startsWith('/var/lib/ignite-net/flannel-tls'), path);
});
