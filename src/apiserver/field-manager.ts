// Who a write is recorded for in metadata.managedFields, and apply conflicts as upstream's
// Status: the request's fieldManager, or the client's name from its User-Agent.
import { ApiError } from './errors.js';
import { pathString, type ApplyConflictError, type Conflict, type Writer } from '../api/managedfields/index.js';
import type { Ctx } from './ctx.js';

const MAX_MANAGER_LENGTH = 128;

/** Upstream's prefixFromUserAgent: `kubectl/v1.32.0 (linux/amd64) ...` -> `kubectl`. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (out.length >= MAX_MANAGER_LENGTH) break;
    if (/\p{C}/u.test(ch)) continue;
    out += ch;
  }
  return out;
}

/** The manager of a non-apply write; the fieldManager parameter is checked as upstream does. */
export function writerFor(ctx: Ctx, subresource?: string): Writer {
  const given = ctx.q.get('fieldManager');
  if (given !== null) checkManagerName(given);
  const manager = given ?? managerFromUserAgent(ctx.req.headers['user-agent']);
  return { manager, apiVersion: ctx.r.apiVersion, subresource: subresource || undefined };
}

export function checkManagerName(name: string): void {
  if (name.length > MAX_MANAGER_LENGTH) {
    throw new ApiError(422, 'Invalid', `fieldManager: Too long: may not be more than ${MAX_MANAGER_LENGTH} bytes`);
  }
  if (/\p{C}/u.test(name)) {
    throw new ApiError(422, 'Invalid', `fieldManager: Invalid value: ${JSON.stringify(name)}: must only contain printable characters`);
  }
}

/** How upstream names a manager in conflicts: `"kubectl-scale" with subresource "scale" using apps/v1`. */
function printManager(c: Conflict): string {
  const m = c.manager;
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** 409 Conflict, reason Conflict, one FieldManagerConflict cause per field, as upstream. */
export function applyConflict(e: ApplyConflictError): ApiError {
  const { conflicts } = e;
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const k = printManager(c);
      byManager.set(k, [...(byManager.get(k) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${k}:`);
      for (const p of byManager.get(k)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c)}`, field: pathString(c.path) })),
  });
}
