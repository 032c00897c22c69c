/**
 * The real scrypt PIN adapter at a test's cost (N=2^4: microseconds a hash), so tests
 * hash and check PINs exactly as the desk does without paying 45 ms a time. The format carries the
 * cost, so what it hashes checks with the production adapter too.
 */
import { createScryptPins } from '../../src/adapters/scrypt-pins.js';

export const testPins = createScryptPins({ N: 2 ** 4, r: 8, p: 1 });
