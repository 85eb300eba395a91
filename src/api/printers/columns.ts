// What every table printer is made of: upstream's column definitions for Name and Age, and the
// cells every kind shows the same way.
import type { KObject } from '../object.js';
import type { TableColumn } from '../resource.js';
import { age } from './duration.js';

export type Any = Record<string, any>;

export const col = (name: string, type: TableColumn['type'] = 'string', priority = 0, description = '', format = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});
export const NAME = col('Name', 'string', 0, 'Name must be unique within a namespace.', 'name');
export const AGE = col('Age', 'string', 0, 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export const name = (o: KObject) => o.metadata.name ?? '';
export const created = (o: KObject, now: Date) => age(o.metadata.creationTimestamp, now);
export const orNone = (s: string | undefined) => (s ? s : '<none>');
