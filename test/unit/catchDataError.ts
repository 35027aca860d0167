import { expect } from 'vitest';
import { DataError } from '../../src/trainer/data/dataError';

/** Runs `fn`, which must throw a DataError (any other outcome fails the test), and returns it. */
export function catchDataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}
