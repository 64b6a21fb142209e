/**
 * Runs in every unit-test process: when a file that used the GPU is done, finish its work and release
 * the device before the process exits (Dawn can abort if the process exits with work in flight).
 */
import { afterAll } from 'vitest';
import { closeTestDevice } from './gpu';

afterAll(async () => {
  await closeTestDevice();
});
