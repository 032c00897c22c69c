// @ts-check
/**
 * Starts a worker thread whose module is TypeScript when the desk itself runs from source (the
 * test runner, `node --import tsx`): a worker does not inherit the parent's module hooks, so it
 * registers tsx's before importing its entry. Built, the entry is plain JavaScript and nothing is
 * registered. Plain JavaScript itself, so Node can start it however the desk was started.
 *
 * workerData: { entry: string (file URL), typescript: boolean, ...what the entry reads }.
 */
import { workerData } from 'node:worker_threads';

if (workerData.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
