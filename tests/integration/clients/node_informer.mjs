// @kubernetes/client-node 1.4 against cplane: an informer on configmaps
// keeps a cache equal to the server's list while objects are created,
// updated and deleted.
//
// Usage: node node_informer.mjs KUBECONFIG (run where node_modules has
// @kubernetes/client-node).
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const core = kc.makeApiClient(k8s.CoreV1Api);
const ns = 'default';
const path = `/api/v1/namespaces/${ns}/configmaps`;
const informer = k8s.makeInformer(kc, path,
  () => core.listNamespacedConfigMap({ namespace: ns }));
let events = 0;
for (const ev of ['add', 'update', 'delete']) informer.on(ev, () => events++);
informer.on('error', (err) => {
  if (err?.type !== 'aborted') console.error('informer error', err); // stop() aborts
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cm = (name, v) => ({ metadata: { name }, data: { v: String(v) } });

function snapshot(items) {
  return items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
    .sort().join(',');
}

async function main() {
  await informer.start();
  for (let i = 0; i < 40; i++) {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm(`c${i}`, 0) });
  }
  for (let round = 1; round <= 3; round++) {
    for (let i = 0; i < 40; i += 3) {
      await core.replaceNamespacedConfigMap({ name: `c${i}`, namespace: ns,
        body: cm(`c${i}`, round) });
    }
  }
  for (let i = 0; i < 40; i += 5) {
    await core.deleteNamespacedConfigMap({ name: `c${i}`, namespace: ns });
  }
  let want = '';
  let got = '';
  for (let t = 0; t < 100; t++) {
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    want = snapshot(list.items);
    got = snapshot(informer.list());
    if (want === got) break;
    await sleep(100);
  }
  await informer.stop();
  if (want !== got) {
    console.error(`cache differs from the server\nserver: ${want}\ncache:  ${got}`);
    process.exit(1);
  }
  if (events < 40 + 42 + 8) {
    console.error(`only ${events} informer events`);
    process.exit(1);
  }
  console.log(`ok: informer cache equals the server's list (${informer.list().length} objects, ${events} events)`);
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
