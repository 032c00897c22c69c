/**
 * The dependencies a use-case test gives the desk: an in-memory store, a recording renderer,
 * sequential ids, a fixed clock and a New York calendar, silent logs and the test policy. A test
 * passes what it looks at (the store, the clock, an authenticator) and takes the rest as they are.
 */
import type { DeskDeps } from '../../src/app/desk-core.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { silentLogger } from '../../src/logger.js';
import { testDeskConfig } from './desk-config.js';
import { FixedClock } from './fixed-clock.js';
import { MemoryStore } from './memory-store.js';
import { RecordingRenderer } from './recording-renderer.js';
import { SequenceIds } from './sequence-ids.js';

export function testDeskDeps(overrides: Partial<DeskDeps> = {}): DeskDeps {
  return {
    store: new MemoryStore(),
    renderer: new RecordingRenderer(),
    ids: new SequenceIds(),
    clock: new FixedClock('2026-03-02T15:00:00.000Z'),
    calendar: createCalendar({ timezone: 'America/New_York' }),
    log: silentLogger(),
    config: testDeskConfig(),
    ...overrides,
  };
}
