// Decoding YAML request bodies safely. The YAML library builds and converts documents
// recursively and copes with about 900 levels; past that it overflows the stack, and near the
// limit V8 itself can abort the process (a regular-expression compile that finds no room).
// So nesting is bounded from the text before the library sees it, and JSON (which kubectl
// sends as apply patches) takes JSON.parse, which has no such limit, up to upstream's 10 000.
import YAML from 'yaml';
import { exceedsDepth } from '../api/json-value.js';
import { findDuplicateFields } from '../api/schema/index.js';
import { badRequest } from './errors.js';

/** How deep a YAML document (not JSON text) may nest: well within what the library copes with. */
export const MAX_YAML_NESTING = 500;

const tooDeep = (max: number) => badRequest(`error converting YAML to JSON: yaml: exceeded max depth of ${max}`);

/**
 * An upper bound on how deep the document nests, from its text alone: every block level takes
 * a column of indentation or an indicator (`- `, `? `, `: `) on its line, every flow level a
 * bracket. Quoted text and comments are skipped.
 */
export function yamlNestingBound(text: string): number {
  let flow = 0;
  let maxFlow = 0;
  let maxLine = 0;
  let indent = 0;
  let indicators = 0;
  let atLineStart = true;
  const isSpace = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || c === '\n' || c === '\r';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      maxLine = Math.max(maxLine, indent + indicators);
      indent = 0;
      indicators = 0;
      atLineStart = true;
      continue;
    }
    if (atLineStart && c === ' ') {
      indent++;
      continue;
    }
    atLineStart = false;
    if (c === '"' || c === "'") {
      // A quoted scalar: '' escapes a single quote, \ escapes in double quotes.
      for (i++; i < text.length; i++) {
        if (c === '"' && text[i] === '\\') i++;
        else if (text[i] === c) {
          if (c === "'" && text[i + 1] === "'") i++;
          else break;
        }
      }
    } else if (c === '#' && isSpace(text[i - 1])) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      maxFlow = Math.max(maxFlow, ++flow);
    } else if (c === ']' || c === '}') {
      flow = Math.max(0, flow - 1);
    } else if ((c === '-' || c === '?' || c === ':') && isSpace(text[i + 1])) {
      indicators++;
    }
  }
  return Math.max(maxLine, indent + indicators) + maxFlow;
}

/** JSON text: decoded as JSON (same value as YAML gives) when it holds no duplicate keys. */
function decodeJsonText(text: string, maxDepth: number): { value: unknown } | undefined {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (exceedsDepth(value, maxDepth)) throw tooDeep(maxDepth);
  // YAML refuses duplicate keys where JSON.parse keeps the last: let the YAML path say so.
  if (findDuplicateFields(text).length) return undefined;
  return { value };
}

/** One YAML document as a JSON value, or a 400 saying what is wrong with it. */
export function decodeYaml(text: string, maxJsonDepth: number): unknown {
  const json = decodeJsonText(text, maxJsonDepth);
  if (json) return json.value;
  if (yamlNestingBound(text) > MAX_YAML_NESTING) throw tooDeep(MAX_YAML_NESTING);
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text) as YAML.Document.Parsed[];
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  const errs = docs.flatMap((d) => d.errors);
  if (errs.length) throw badRequest(`error converting YAML to JSON: ${errs[0]!.message.split('\n')[0]}`);
  if (docs.length !== 1) throw badRequest('the body must hold exactly one YAML document');
  let value: unknown;
  try {
    value = docs[0]!.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Aliases nesting anchors in anchors: deeper than the text shows.
    if (e instanceof RangeError) throw tooDeep(maxJsonDepth);
    // Aliases that expand a small document into a huge one (a "billion laughs" document).
    throw badRequest('error converting YAML to JSON: yaml: document contains excessive aliasing');
  }
  if (exceedsDepth(value, maxJsonDepth)) throw tooDeep(maxJsonDepth);
  return value;
}
