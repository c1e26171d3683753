// @kubernetes/client-node 1.4 against cplane: create, list and watch of
// a Service, a Job and a StatefulSet through the typed API clients and
// k8s.Watch.
//
// Usage: node node_service_job_sts.mjs KUBECONFIG NAMESPACE (run where
// node_modules has @kubernetes/client-node).
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const ns = process.argv[3];
const core = kc.makeApiClient(k8s.CoreV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const template = { metadata: { labels: { app: 'n' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] } };

const kinds = [
  { kind: 'Service', path: `/api/v1/namespaces/${ns}/services`,
    make: (name) => ({ metadata: { name },
      spec: { selector: { app: 'n' }, ports: [{ port: 80 }] } }),
    create: (body) => core.createNamespacedService({ namespace: ns, body }),
    list: () => core.listNamespacedService({ namespace: ns }) },
  { kind: 'Job', path: `/apis/batch/v1/namespaces/${ns}/jobs`,
    make: (name) => ({ metadata: { name }, spec: { template: {
      metadata: {}, spec: { ...template.spec, restartPolicy: 'Never' } } } }),
    create: (body) => batch.createNamespacedJob({ namespace: ns, body }),
    list: () => batch.listNamespacedJob({ namespace: ns }) },
  { kind: 'StatefulSet', path: `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    make: (name) => ({ metadata: { name }, spec: { serviceName: name,
      selector: { matchLabels: { app: 'n' } }, template } }),
    create: (body) => apps.createNamespacedStatefulSet({ namespace: ns, body }),
    list: () => apps.listNamespacedStatefulSet({ namespace: ns }) },
];

async function check(k) {
  await k.create(k.make('a'));
  const rv = (await k.list()).metadata.resourceVersion;
  let req;
  const seen = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${k.kind}: no ADDED b`)), 15000);
    new k8s.Watch(kc).watch(k.path, { resourceVersion: rv },
      (type, obj) => {
        if (type === 'ADDED' && obj.metadata.name === 'b') {
          clearTimeout(timer);
          resolve(obj);
        }
      },
      (err) => { if (err && err.name !== 'AbortError') reject(err); })
      .then((r) => { req = r; }, reject);
  });
  await new Promise((r) => setTimeout(r, 200)); // the watch is open
  await k.create(k.make('b'));
  const obj = await seen;
  req?.abort();
  const names = (await k.list()).items.map((o) => o.metadata.name).sort();
  if (names.join(',') !== 'a,b') throw new Error(`${k.kind} list: ${names}`);
  console.log(`ok: client-node ${k.kind} create, list and watch`);
  return obj;
}

async function main() {
  for (const k of kinds) await check(k);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
