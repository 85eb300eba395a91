// Generates src/api/schema/generated.json, the structural schema of the served kinds, from the
// kubernetes-types declarations (which are themselves generated from upstream's OpenAPI).
// Run with: node --import tsx scripts/gen-schema.ts
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = 'node_modules/kubernetes-types';
const ROOTS = [
  'core/v1.Namespace',
  'core/v1.Pod',
  'core/v1.Node',
  'core/v1.Event',
  'core/v1.ConfigMap',
  'core/v1.Secret',
  'core/v1.ServiceAccount',
  'core/v1.PersistentVolume',
  'core/v1.PersistentVolumeClaim',
  'storage/v1.StorageClass',
  'storage/v1.CSINode',
  'storage/v1.CSIDriver',
  'core/v1.Binding',
  'policy/v1.Eviction',
  'policy/v1.PodDisruptionBudget',
  'events/v1.Event',
  'core/v1.ReplicationController',
  'apps/v1.ReplicaSet',
  'apps/v1.Deployment',
  'apps/v1.DaemonSet',
  'apps/v1.StatefulSet',
  'apps/v1.ControllerRevision',
  'coordination/v1.Lease',
  'scheduling/v1.PriorityClass',
  'autoscaling/v1.Scale',
  'meta/v1.DeleteOptions',
  'certificates/v1.CertificateSigningRequest',
  'core/v1.Service',
  'core/v1.Endpoints',
  'discovery/v1.EndpointSlice',
  'rbac/v1.Role',
  'rbac/v1.ClusterRole',
  'rbac/v1.RoleBinding',
  'rbac/v1.ClusterRoleBinding',
  'authorization/v1.SubjectAccessReview',
  'authorization/v1.SelfSubjectAccessReview',
  'authorization/v1.LocalSubjectAccessReview',
  'authorization/v1.SelfSubjectRulesReview',
  'authentication/v1.SelfSubjectReview',
  'batch/v1.Job',
  'batch/v1.CronJob',
  'core/v1.LimitRange',
  'core/v1.ResourceQuota',
];

type T = string | { ref: string } | { array: T } | { map: T };
interface TypeDef {
  description: string;
  properties: Record<string, { type: T; description: string }>;
  required: string[];
}

const files = new Map<string, ts.SourceFile>();
function source(mod: string): ts.SourceFile {
  let sf = files.get(mod);
  if (!sf) {
    sf = ts.createSourceFile(mod, readFileSync(join(ROOT, mod + '.d.ts'), 'utf8'), ts.ScriptTarget.ES2022, true);
    files.set(mod, sf);
  }
  return sf;
}

function docOf(node: ts.Node): string {
  const jsDoc = (node as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc;
  const c = jsDoc?.[0]?.comment;
  return typeof c === 'string' ? c : '';
}

function resolveName(mod: string, name: string): { mod: string; decl: ts.Node } {
  const sf = source(mod);
  for (const st of sf.statements) {
    if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name.text === name) return { mod, decl: st };
  }
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause?.namedBindings || !ts.isNamedImports(st.importClause.namedBindings)) continue;
    if (st.importClause.namedBindings.elements.some((e) => e.name.text === name)) {
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      return resolveName(relative(ROOT, join(ROOT, dirname(mod), spec)), name);
    }
  }
  throw new Error(`cannot resolve ${name} in ${mod}`);
}

const types: Record<string, TypeDef> = {};
const pending: string[] = [];

function typeOf(mod: string, node: ts.TypeNode): T {
  if (node.kind === ts.SyntaxKind.StringKeyword) return 'string';
  if (node.kind === ts.SyntaxKind.NumberKeyword) return 'number';
  if (node.kind === ts.SyntaxKind.BooleanKeyword) return 'boolean';
  if (ts.isLiteralTypeNode(node)) return 'string';
  if (ts.isUnionTypeNode(node)) return 'int-or-string';
  if (ts.isArrayTypeNode(node)) return { array: typeOf(mod, node.elementType) };
  if (ts.isTypeLiteralNode(node)) {
    const idx = node.members.find(ts.isIndexSignatureDeclaration);
    return idx ? { map: typeOf(mod, idx.type) } : 'any';
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array') return { array: typeOf(mod, node.typeArguments![0]!) };
    if (name === 'Record') return { map: typeOf(mod, node.typeArguments![1]!) };
    const { mod: m, decl } = resolveName(mod, name);
    if (ts.isTypeAliasDeclaration(decl)) {
      if (name === 'Quantity') return 'quantity';
      if (name === 'Time' || name === 'MicroTime') return 'time';
      return typeOf(m, decl.type);
    }
    const id = `${m}.${name}`;
    const iface = decl as ts.InterfaceDeclaration;
    if (iface.members.length === 0) return 'any';
    if (!(id in types) && !pending.includes(id)) pending.push(id);
    return { ref: id };
  }
  return 'any';
}

function define(id: string): void {
  const dot = id.lastIndexOf('.');
  const { mod, decl } = resolveName(id.slice(0, dot), id.slice(dot + 1));
  const iface = decl as ts.InterfaceDeclaration;
  const def: TypeDef = { description: docOf(iface), properties: {}, required: [] };
  types[id] = def;
  for (const m of iface.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const name = m.name.getText().replace(/^"|"$/g, '');
    def.properties[name] = { type: typeOf(mod, m.type), description: docOf(m) };
    if (!m.questionToken && name !== 'apiVersion' && name !== 'kind') def.required.push(name);
  }
}

pending.push(...ROOTS);
while (pending.length) {
  const id = pending.shift()!;
  if (!(id in types)) define(id);
}
const out = { roots: ROOTS, types };
writeFileSync('src/api/schema/generated.json', JSON.stringify(out) + '\n');
console.log(`wrote ${Object.keys(types).length} types`);
