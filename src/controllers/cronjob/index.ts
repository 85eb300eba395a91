// The CronJob controller (src/controllers/cronjob/).
export { newCronJobController, SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobControllerOptions } from './controller.js';
