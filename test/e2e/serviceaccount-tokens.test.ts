// ServiceAccount tokens as kubectl 1.32 meets them: `kubectl create token` (TokenRequest) with
// upstream's claims, the token authenticating as the ServiceAccount under RBAC (a Role's pods
// yes, secrets upstream's 403), a token bound to a pod refused (401) once the pod is deleted,
// `kubectl auth can-i --list` of a ServiceAccount bound to view, admission's kube-api-access
// volume, OIDC discovery whose keys verify the tokens, and two servers over one etcd accepting
// each other's tokens.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { api, BERTH, kubectl, kubectlOk, requireCommand, startServer, type RunningServer } from './harness.js';
import { startEtcd } from './etcd-harness.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function server(args: string[] = []): Promise<RunningServer> {
  const s = await startServer({ args });
  cleanups.push(async () => {
    await s.stop();
    s.cleanup();
  });
  return s;
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const uidOf = (s: RunningServer, args: string[]) => kubectlOk(s, ['get', ...args, '-o', 'jsonpath={.metadata.uid}']);

test('kubectl create token: claims, RBAC as the ServiceAccount, bound-pod revocation, can-i --list, admission, OIDC discovery', async () => {
  const s = await server();
  kubectlOk(s, ['create', 'namespace', 'team']);
  kubectlOk(s, ['create', 'serviceaccount', 'robot', '-n', 'team']);
  kubectlOk(s, ['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods', '-n', 'team']);
  kubectlOk(s, ['create', 'rolebinding', 'robot-reads-pods', '--role=pod-reader', '--serviceaccount=team:robot', '-n', 'team']);

  const token = kubectlOk(s, ['create', 'token', 'robot', '-n', 'team', '--duration', '15m']).trim();
  const c = claimsOf(token);
  assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(c.sub, 'system:serviceaccount:team:robot');
  assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(c.exp - c.iat, 900);
  assert.equal(c.nbf, c.iat);
  assert.ok(Math.abs(c.iat - Date.now() / 1000) < 60);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'team', serviceaccount: { name: 'robot', uid: uidOf(s, ['sa', 'robot', '-n', 'team']) } });

  // A token for another audience (--audience) is not one the API server accepts.
  const forVault = kubectlOk(s, ['create', 'token', 'robot', '-n', 'team', '--audience', 'vault']).trim();
  assert.deepEqual(claimsOf(forVault).aud, ['vault']);
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/team/pods', undefined, { Authorization: `Bearer ${forVault}` })).status, 401);

  // The token is the ServiceAccount: pods yes, secrets no (upstream's words).
  const whoami = kubectlOk(s, ['auth', 'whoami', '--token', token]);
  assert.match(whoami, /Username\s+system:serviceaccount:team:robot\n/);
  assert.match(whoami, /Groups\s+\[system:serviceaccounts system:serviceaccounts:team system:authenticated\]/);
  assert.match(whoami, new RegExp(`Extra: authentication.kubernetes.io/credential-id\\s+\\[JTI=${c.jti}\\]`));
  const pods = kubectl(s, ['get', 'pods', '-n', 'team', '--token', token]);
  assert.equal(pods.code, 0, pods.stderr);
  assert.match(pods.stderr, /No resources found in team namespace/);
  const secrets = kubectl(s, ['get', 'secrets', '-n', 'team', '--token', token]);
  assert.equal(secrets.code, 1);
  assert.equal(
    secrets.stderr.trim(),
    'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:team:robot" cannot list resource "secrets" in API group "" in the namespace "team"',
  );

  // Admission: a pod runs as its ServiceAccount with the kube-api-access volume in each container.
  kubectlOk(s, ['run', 'p', '-n', 'team', '--image=busybox', '--overrides={"spec":{"serviceAccountName":"robot"}}']);
  const pod = JSON.parse(kubectlOk(s, ['get', 'pod', 'p', '-n', 'team', '-o', 'json']));
  const vol = pod.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
  assert.match(vol.name, /^kube-api-access-[a-z0-9]{5}$/);
  assert.deepEqual(vol.projected.sources[0], { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
  assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  const ghost = kubectl(s, ['run', 'g', '-n', 'team', '--image=busybox', '--overrides={"spec":{"serviceAccountName":"ghost"}}']);
  assert.equal(ghost.code, 1);
  assert.equal(
    ghost.stderr.trim(),
    'Error from server (Forbidden): pods "g" is forbidden: error looking up service account team/ghost: serviceaccount "ghost" not found',
  );

  // A token bound to the pod works while the pod is there, and is refused (401) once it is deleted.
  const bound = kubectlOk(s, ['create', 'token', 'robot', '-n', 'team', '--bound-object-kind', 'Pod', '--bound-object-name', 'p']).trim();
  assert.deepEqual(claimsOf(bound)['kubernetes.io'].pod, { name: 'p', uid: pod.metadata.uid });
  assert.equal(kubectl(s, ['get', 'pods', '-n', 'team', '--token', bound]).code, 0);
  assert.match(kubectlOk(s, ['auth', 'whoami', '--token', bound]), /authentication.kubernetes.io\/pod-name\s+\[p\]/);
  // Upstream's extended expiration: only a pod-bound 3607 s request for the API server gets a year.
  const kubelet = claimsOf(
    kubectlOk(s, ['create', 'token', 'robot', '-n', 'team', '--duration', '3607s', '--bound-object-kind', 'Pod', '--bound-object-name', 'p']).trim(),
  );
  assert.deepEqual([kubelet.exp - kubelet.iat, kubelet['kubernetes.io'].warnafter - kubelet.iat], [365 * 24 * 3600, 3607]);
  const unbound = claimsOf(kubectlOk(s, ['create', 'token', 'robot', '-n', 'team', '--duration', '3607s']).trim());
  assert.deepEqual([unbound.exp - unbound.iat, unbound['kubernetes.io'].warnafter], [3607, undefined]);
  kubectlOk(s, ['delete', 'pod', 'p', '-n', 'team', '--wait=true']);
  const refused = kubectl(s, ['get', 'pods', '-n', 'team', '--token', bound]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error: You must be logged in to the server/);
  const raw = await api(s, 'GET', '/api/v1/namespaces/team/pods', undefined, { Authorization: `Bearer ${bound}` });
  assert.equal(raw.status, 401);
  assert.equal(raw.json.reason, 'Unauthorized');
  // The unbound token still works; a tampered one does not.
  assert.equal(kubectl(s, ['get', 'pods', '-n', 'team', '--token', token]).code, 0);
  const [h, p, sig] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...c, sub: 'system:serviceaccount:team:admin' })).toString('base64url')}.${sig}`;
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/team/pods', undefined, { Authorization: `Bearer ${forged}` })).status, 401);
  assert.ok(p);

  // TokenRequest refusals, as upstream's.
  const short = await api(s, 'POST', '/api/v1/namespaces/team/serviceaccounts/robot/token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 60 },
  });
  assert.equal(short.status, 422);
  assert.equal(
    short.json.message,
    'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
  );
  const tokenRequest = (spec: unknown) =>
    api(s, 'POST', '/api/v1/namespaces/team/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  const cm = await tokenRequest({ boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'kube-root-ca.crt' } });
  assert.deepEqual([cm.status, cm.json.message], [400, 'cannot bind token to object of type /v1, Kind=ConfigMap']);
  const notObject = await tokenRequest('x');
  assert.equal(notObject.status, 400);
  kubectlOk(s, ['create', 'secret', 'generic', 'anchor', '-n', 'team']);
  const stale = await tokenRequest({ boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anchor', uid: 'not-its-uid' } });
  assert.equal(stale.status, 409);
  assert.match(stale.json.message, /the UID in the bound object reference \(not-its-uid\) does not match the UID in record/);
  const toSecret = await tokenRequest({ boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'anchor' } });
  assert.equal(toSecret.status, 201);
  assert.equal(toSecret.json.kind, 'TokenRequest');
  assert.deepEqual(claimsOf(toSecret.json.status.token)['kubernetes.io'].secret, { name: 'anchor', uid: uidOf(s, ['secret', 'anchor', '-n', 'team']) });
  const other = kubectl(s, ['create', 'token', 'default', '-n', 'team', '--bound-object-kind', 'Pod', '--bound-object-name', 'nope']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /pods "nope" not found/);
  const missing = kubectl(s, ['create', 'token', 'nobody', '-n', 'team']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);

  // A ServiceAccount bound to view: what its own token may do, listed by kubectl.
  kubectlOk(s, ['create', 'serviceaccount', 'viewer', '-n', 'team']);
  kubectlOk(s, ['create', 'rolebinding', 'viewer-view', '--clusterrole=view', '--serviceaccount=team:viewer', '-n', 'team']);
  const viewer = kubectlOk(s, ['create', 'token', 'viewer', '-n', 'team']).trim();
  const list = kubectlOk(s, ['auth', 'can-i', '--list', '-n', 'team', '--token', viewer]);
  assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  assert.match(list, /^deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  assert.match(list, /^\s+\[\/\.well-known\/openid-configuration\]\s+\[\]\s+\[get\]$/m, 'issuer discovery for every ServiceAccount');
  assert.doesNotMatch(list, /^secrets\s/m);
  assert.equal(kubectl(s, ['auth', 'can-i', 'create', 'pods', '-n', 'team', '--token', viewer]).stdout.trim(), 'no');

  // OIDC discovery: readable by ServiceAccounts (not anonymous); its keys verify the tokens.
  const anon = await api(s, 'GET', '/.well-known/openid-configuration', undefined, { Authorization: '' });
  assert.equal(anon.status, 403);
  const conf = await api(s, 'GET', '/.well-known/openid-configuration', undefined, { Authorization: `Bearer ${viewer}` });
  assert.equal(conf.status, 200);
  assert.deepEqual(conf.json, {
    issuer: 'https://kubernetes.default.svc.cluster.local',
    jwks_uri: 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks',
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  const jwks = await api(s, 'GET', '/openid/v1/jwks', undefined, { Authorization: `Bearer ${viewer}` });
  assert.equal(jwks.headers.get('content-type'), 'application/jwk-set+json');
  const kid = JSON.parse(Buffer.from(h!, 'base64url').toString()).kid;
  const jwk = jwks.json.keys.find((k: any) => k.kid === kid);
  assert.equal(jwk.alg, 'RS256');
  assert.ok(
    verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(sig!, 'base64url')),
    'the JWKS key verifies the token',
  );

  // A ServiceAccount deleted and made again is another ServiceAccount: the old token is refused.
  kubectlOk(s, ['delete', 'sa', 'robot', '-n', 'team']);
  kubectlOk(s, ['create', 'sa', 'robot', '-n', 'team']);
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/team/pods', undefined, { Authorization: `Bearer ${token}` })).status, 401);
});

test('two servers over one etcd share the signing key: a token from one works on the other', async (t) => {
  if (!requireCommand('etcd', t)) return;
  const etcd = await startEtcd();
  cleanups.push(() => etcd.stop());
  const a = await server(['--datastore', `etcd://${etcd.endpoints.join(',')}`]);
  const b = await server(['--datastore', `etcd://${etcd.endpoints.join(',')}`]);
  kubectlOk(a, ['create', 'serviceaccount', 'robot']);
  kubectlOk(a, ['create', 'clusterrolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=default:robot']);
  const token = kubectlOk(a, ['create', 'token', 'robot']).trim();
  const onB = await api(b, 'GET', '/api/v1/namespaces/default/pods', undefined, { Authorization: `Bearer ${token}` });
  assert.equal(onB.status, 200, onB.text);
  const fromB = kubectlOk(b, ['create', 'token', 'robot']).trim();
  assert.equal((await api(a, 'GET', '/api/v1/namespaces/default/pods', undefined, { Authorization: `Bearer ${fromB}` })).status, 200);
  const keys = async (s: RunningServer) => (await api(s, 'GET', '/openid/v1/jwks')).json.keys.map((k: any) => k.kid);
  assert.deepEqual(await keys(a), await keys(b));
});

test('--service-account-max-token-expiration shortens longer TokenRequests; a bound outside 1 h..2^32 s is refused at start', async () => {
  const s = await server(['--service-account-max-token-expiration', '1h']);
  const long = claimsOf(kubectlOk(s, ['create', 'token', 'default', '--duration', '2h']).trim());
  assert.equal(long.exp - long.iat, 3600);
  const short = claimsOf(kubectlOk(s, ['create', 'token', 'default', '--duration', '20m']).trim());
  assert.equal(short.exp - short.iat, 1200);
  const bad = spawnSync(
    process.execPath,
    [BERTH, 'server', '--no-supervisor', '--data-dir', s.dataDir + '-bad', '--service-account-max-token-expiration', '5m'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  rmSync(`${s.dataDir}-bad`, { recursive: true, force: true });
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim(), 'berth: error: --service-account-max-token-expiration: must be between 1 hour and 2^32 seconds');
});
