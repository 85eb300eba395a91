// Upstream's SimpleNameGenerator: a base and five random characters from an alphabet without
// vowels (no words) and without look-alikes (0/o, 1/l). metadata.generateName uses it, and so
// does admission for the names it makes up (the kube-api-access-* volume).
import { randomInt } from 'node:crypto';

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  let s = base.length > 58 ? base.slice(0, 58) : base;
  for (let i = 0; i < 5; i++) s += GENERATE_CHARS[randomInt(GENERATE_CHARS.length)];
  return s;
}
