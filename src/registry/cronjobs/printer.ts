// The cronjobs table, as upstream's printCronJob.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { age } from '../../api/printers/duration.js';
import { containersAndImages, selectorString, templateColumns } from '../../api/printers/workload.js';

/** Upstream's printBoolPtr: the column is typed boolean but its cells are words. */
const suspendCell = (v: boolean | undefined) => (v === undefined ? '<unset>' : v ? 'True' : 'False');

export const cronJobPrinter: Printer = {
  columns: [
    NAME,
    col('Schedule', 'string', 0, 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('TimeZone', 'string', 0, 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 0, 'This flag tells the controller to suspend subsequent executions.'),
    col('Active', 'integer', 0, 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 0, 'Information when was the last time the job was successfully scheduled.'),
    AGE,
    ...templateColumns('A label query over pods that should match the pod count.'),
  ],
  cells: (o, now) => {
    const cj = o as Any;
    const template = cj.spec?.jobTemplate?.spec;
    const [cs, images] = containersAndImages(template?.template);
    const last = cj.status?.lastScheduleTime ? age(cj.status.lastScheduleTime, now) : '<none>';
    return [
      name(o),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      suspendCell(cj.spec?.suspend),
      (cj.status?.active ?? []).length,
      last,
      created(o, now),
      cs,
      images,
      selectorString(template?.selector),
    ];
  },
};
