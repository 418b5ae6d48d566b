/**
 * given(events).when(event).then(state) for the machines, on our fold (`fold`, `evolve`, `allows`):
 * the specification style of emmett's deciderSpecification, for both kinds of stream.
 */
import assert from 'node:assert/strict';
import { allows, evolve, fold, IllegalTransitionError, type CorruptHistoryError, type NewEvent, type StoredEvent } from '../../machines/index.ts';

/** Returns `given` bound to one stream name (`job-…` or `instance-…`). */
export function machineSpec(stream: string) {
  return function given(...history: NewEvent[]) {
    const events: StoredEvent[] = history.map((ev, i) => ({ ...ev, stream, seq: i + 1 }));
    const state = fold(stream, events);
    return {
      when: (event: NewEvent) => ({
        /** The machine takes the event and lands in `expected`, with these context fields. */
        then(expected: string, context: Record<string, unknown> = {}) {
          assert.equal(allows(stream, state, [event]), true);
          const next = evolve(stream, state, event);
          assert.equal(next.state, expected);
          for (const [k, v] of Object.entries(context)) assert.deepEqual((next.context as unknown as Record<string, unknown>)[k], v, k);
        },
        /** The machine refuses the event: `allows` says no and `evolve` throws. */
        thenRefused(error: typeof IllegalTransitionError | typeof CorruptHistoryError = IllegalTransitionError) {
          assert.equal(allows(stream, state, [event]), false);
          assert.throws(() => evolve(stream, state, event), error);
        },
      }),
    };
  };
}
