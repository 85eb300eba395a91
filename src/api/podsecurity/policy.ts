// A namespace's Pod Security policy, from its labels, as upstream's PolicyToEvaluate:
// pod-security.kubernetes.io/<mode> (privileged, baseline or restricted; privileged when
// absent) and <mode>-version (latest or v1.N; latest when absent), for each mode enforce,
// audit and warn. Invalid values are field errors on the namespace.
import { invalid, type FieldError } from '../field-errors.js';
import type { Level } from './checks.js';

export type Mode = 'enforce' | 'audit' | 'warn';
export const MODES: Mode[] = ['enforce', 'audit', 'warn'];
export const LABEL_PREFIX = 'pod-security.kubernetes.io/';

export interface LevelVersion {
  level: Level;
  version: string;
}

export type Policy = Record<Mode, LevelVersion>;

const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];
const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

/** `restricted:latest`, as upstream's LevelVersion.String. */
export const policyString = (lv: LevelVersion) => `${lv.level}:${lv.version}`;

export function policyOf(labels: Record<string, string> | undefined): { policy: Policy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const policy = {} as Policy;
  for (const mode of MODES) {
    const lv: LevelVersion = { level: 'privileged', version: 'latest' };
    const levelKey = `${LABEL_PREFIX}${mode}`;
    const level = labels?.[levelKey];
    if (level !== undefined) {
      if ((LEVELS as string[]).includes(level)) lv.level = level as Level;
      else errors.push(invalid(`metadata.labels[${levelKey}]`, level, `must be one of ${LEVELS.join(', ')}`));
    }
    const versionKey = `${levelKey}-version`;
    const version = labels?.[versionKey];
    if (version !== undefined) {
      if (version === 'latest' || VERSION.test(version)) lv.version = version;
      else errors.push(invalid(`metadata.labels[${versionKey}]`, version, 'must be "latest" or "v1.x"'));
    }
    policy[mode] = lv;
  }
  return { policy, errors };
}

/** How strict a level is: privileged < baseline < restricted. */
export const levelRank = (l: Level) => LEVELS.indexOf(l);
