// The pod-template-hash: FNV-32a over the pod template (plus the deployment's collisionCount),
// its decimal rendering mapped onto upstream's SafeEncodeString alphabet, which has no vowels
// (so no words) and no easily confused characters. Upstream feeds the hash a Go-specific dump
// of the template struct; Berth feeds it the template's canonical JSON (keys sorted, nulls
// dropped), so the same template always gets the same hash here — not the same as upstream's.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Upstream rand.SafeEncodeString: every character mapped into the safe alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a, continued from a previous state when given one. */
export function fnv32a(bytes: Uint8Array, state = FNV_OFFSET): number {
  let h = state >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/** JSON with object keys sorted and null/undefined members left out: one text per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The pod-template-hash of a template (upstream controller.ComputeHash). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    // Upstream writes the count as 4 little-endian bytes into an 8-byte buffer.
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
