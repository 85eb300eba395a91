// Upstream's OpenAPI definitions (the JSON shape of every API type), read from the
// kubernetes-types declarations, which are generated from upstream's OpenAPI document: one
// interface per definition, one property per JSON field, embedded Go structs already inlined.
//
// Used by scripts/gen-protobuf-fields.ts (to find the protobuf fields that Go inlines in JSON) and
// by the protobuf round-trip test (to build JSON objects of every type); the server never loads it.
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * A property's JSON type, in the vocabulary of src/api/schema/generated.json, except that
 * MicroTime (always six fractional digits in JSON) is 'micro-time' rather than 'time'.
 */
export type JsonType = string | { ref: string } | { array: JsonType } | { map: JsonType };

/** Definition id (`core/v1.Volume`) -> property name -> JSON type. */
export type Definitions = Map<string, Map<string, JsonType>>;

const ROOT = resolve(import.meta.dirname, '..', '..', '..', 'node_modules', 'kubernetes-types');

/** The kubernetes-types module holding a protobuf package's types, if there is one. */
function moduleOf(protoPackage: string): string | undefined {
  const api = /^k8s\.io\.api\.([a-z0-9]+)\.(v[a-z0-9]+)$/.exec(protoPackage);
  if (api) return `${api[1]}/${api[2]}`;
  const machinery: Record<string, string> = {
    'k8s.io.apimachinery.pkg.apis.meta.v1': 'meta/v1',
    'k8s.io.apimachinery.pkg.api.resource': 'api/resource',
    'k8s.io.apimachinery.pkg.runtime': 'runtime',
  };
  return machinery[protoPackage];
}

/** `k8s.io.api.core.v1.Volume` -> `core/v1.Volume` (a name that may or may not be defined). */
export function definitionId(protoMessage: string): string | undefined {
  const dot = protoMessage.lastIndexOf('.');
  const mod = moduleOf(protoMessage.slice(0, dot));
  return mod && `${mod}.${protoMessage.slice(dot + 1)}`;
}

export class OpenApiTypes {
  private readonly files = new Map<string, ts.SourceFile | null>();
  private readonly defs: Definitions = new Map();
  private readonly requiredProps = new Map<string, Set<string>>();

  /** The properties of a definition, or undefined when upstream's OpenAPI has no such definition. */
  definition(id: string): Map<string, JsonType> | undefined {
    if (this.defs.has(id)) return this.defs.get(id);
    const dot = id.lastIndexOf('.');
    const found = this.resolve(id.slice(0, dot), id.slice(dot + 1));
    if (!found || !ts.isInterfaceDeclaration(found.decl)) return undefined;
    const props = new Map<string, JsonType>();
    const required = new Set<string>();
    this.defs.set(id, props); // set before filling: definitions may refer to themselves
    this.requiredProps.set(id, required);
    for (const m of found.decl.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = m.name.getText().replace(/^"|"$/g, '');
      props.set(name, this.typeOf(found.mod, m.type));
      if (!m.questionToken) required.add(name);
    }
    return props;
  }

  /**
   * The properties a definition requires. Upstream's OpenAPI generator makes a field required
   * exactly when its json tag has no omitempty (and no +optional marker): JSON always has them.
   */
  required(id: string): Set<string> {
    this.definition(id);
    return this.requiredProps.get(id) ?? new Set();
  }

  private source(mod: string): ts.SourceFile | null {
    if (!this.files.has(mod)) {
      let text: string | undefined;
      try {
        text = readFileSync(join(ROOT, `${mod}.d.ts`), 'utf8');
      } catch {
        text = undefined;
      }
      this.files.set(mod, text === undefined ? null : ts.createSourceFile(mod, text, ts.ScriptTarget.ES2022, true));
    }
    return this.files.get(mod)!;
  }

  private resolve(mod: string, name: string): { mod: string; decl: ts.Node } | undefined {
    const sf = this.source(mod);
    if (!sf) return undefined;
    for (const st of sf.statements) {
      if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name.text === name) return { mod, decl: st };
    }
    for (const st of sf.statements) {
      const bindings = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (!bindings || !ts.isNamedImports(bindings) || !bindings.elements.some((e) => e.name.text === name)) continue;
      const spec = ((st as ts.ImportDeclaration).moduleSpecifier as ts.StringLiteral).text;
      return this.resolve(relative(ROOT, join(ROOT, dirname(mod), spec)), name);
    }
    return undefined;
  }

  private typeOf(mod: string, node: ts.TypeNode): JsonType {
    if (node.kind === ts.SyntaxKind.StringKeyword || ts.isLiteralTypeNode(node)) return 'string';
    if (node.kind === ts.SyntaxKind.NumberKeyword) return 'number';
    if (node.kind === ts.SyntaxKind.BooleanKeyword) return 'boolean';
    if (ts.isUnionTypeNode(node)) return 'int-or-string';
    if (ts.isArrayTypeNode(node)) return { array: this.typeOf(mod, node.elementType) };
    if (ts.isTypeLiteralNode(node)) {
      const idx = node.members.find(ts.isIndexSignatureDeclaration);
      return idx ? { map: this.typeOf(mod, idx.type) } : 'any';
    }
    if (!ts.isTypeReferenceNode(node)) return 'any';
    const name = node.typeName.getText();
    if (name === 'Array') return { array: this.typeOf(mod, node.typeArguments![0]!) };
    if (name === 'Record') return { map: this.typeOf(mod, node.typeArguments![1]!) };
    const found = this.resolve(mod, name);
    if (!found) return 'any';
    if (ts.isTypeAliasDeclaration(found.decl)) {
      if (name === 'Quantity') return 'quantity';
      if (name === 'Time') return 'time';
      if (name === 'MicroTime') return 'micro-time';
      return this.typeOf(found.mod, found.decl.type);
    }
    // An interface without members (RawExtension, FieldsV1) is free-form JSON.
    if ((found.decl as ts.InterfaceDeclaration).members.length === 0) return 'any';
    return { ref: `${found.mod}.${name}` };
  }
}
