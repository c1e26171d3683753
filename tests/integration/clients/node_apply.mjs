// @kubernetes/client-node 1.4's server-side apply against cplane:
// KubernetesObjectApi.patch with PatchStrategy.ServerSideApply creates,
// then applies again as another manager with force.
//
// Usage: node node_apply.mjs KUBECONFIG (run where node_modules has
// @kubernetes/client-node).
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const client = k8s.KubernetesObjectApi.makeApiClient(kc);
const spec = (v) => ({ apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: 'js-applied', namespace: 'default' }, data: { k: v } });

let got = await client.patch(spec('1'), undefined, undefined, 'js-a',
  undefined, k8s.PatchStrategy.ServerSideApply);
if (got.data.k !== '1') throw new Error(`created ${JSON.stringify(got)}`);
let conflict = null;
try {
  await client.patch(spec('2'), undefined, undefined, 'js-b', undefined,
    k8s.PatchStrategy.ServerSideApply);
} catch (e) {
  conflict = e;
}
if (conflict === null || conflict.code !== 409)
  throw new Error(`want a 409 conflict, got ${conflict}`);
got = await client.patch(spec('2'), undefined, undefined, 'js-b', true,
  k8s.PatchStrategy.ServerSideApply);
if (got.data.k !== '2') throw new Error(`forced ${JSON.stringify(got)}`);
const managers = got.metadata.managedFields.map((m) => m.manager).sort();
if (managers.join(',') !== 'js-b')
  throw new Error(`managers ${managers}`);
console.log('node apply ok');
