// API errors as upstream's k8s.io/apimachinery/pkg/api/errors: every non-2xx answer is a
// Status object whose message and reason match what kubectl prints for a real cluster.
import { aggregateMessage, errorBody, type FieldError } from '../api/field-errors.js';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What a resource is called in messages: `pods`, `deployments.apps`. */
export interface ResourceName {
  plural: string;
  group: string;
}

const qualified = (r: ResourceName) => (r.group ? `${r.plural}.${r.group}` : r.plural);

export const notFound = (r: ResourceName, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group || undefined, kind: r.plural });

export const alreadyExists = (r: ResourceName, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, {
    name,
    group: r.group || undefined,
    kind: r.plural,
  });

export const conflict = (r: ResourceName, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
    name,
    group: r.group || undefined,
    kind: r.plural,
  });

export const invalid = (kind: string, group: string, name: string, errs: FieldError[]) =>
  new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${aggregateMessage(errs)}`, {
    name,
    group: group || undefined,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
  });

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const forbidden = (r: ResourceName, name: string, why: string) =>
  new ApiError(403, 'Forbidden', `${qualified(r)} "${name}" is forbidden: ${why}`, { name, group: r.group || undefined, kind: r.plural });

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource') => new ApiError(405, 'MethodNotAllowed', message);

export const expired = (message: string) => new ApiError(410, 'Expired', message);

export const unsupportedMediaType = (type: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    {
      causes: [{ reason: 'UnsupportedMediaType', message: type }],
    },
  );

export const tooLarge = () => new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const notAcceptable = () =>
  new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
  );

/** A read at a revision the store has not reached (upstream's NewTooLargeResourceVersionError): 504, retry. */
export const tooLargeResourceVersion = (rv: number | string, current: number | string) =>
  new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

export const unavailable = (message: string) => new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds: 1 });

export const internal = (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
