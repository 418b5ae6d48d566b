/**
 * The worker's own instance stream. Keeps the instance state in memory and appends with `propose`
 * passing it as `known` (a version conflict — the supervisor appended InstanceLaunched meanwhile —
 * catches up and judges again). Appends are serialised: the heartbeat timer and the loop never race
 * each other on the stream.
 */
import type { EventStore } from '../../adapters/ports.ts';
import { allows, IllegalTransitionError, streamName, type NewEvent, type StreamState } from '../../machines/index.ts';
import { catchUp, load, propose } from '../streams/propose.ts';

/** States after which the instance stream takes nothing more from the worker. */
const finished = new Set(['lost', 'terminated']);

export class InstanceReporter {
  readonly stream: string;
  private state: StreamState | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** When the worker last appended, epoch ms. */
  lastAppendAt = 0;

  constructor(
    private readonly store: EventStore,
    readonly instanceId: string,
  ) {
    this.stream = streamName('instance', instanceId);
  }

  /** The last known state (load() first). */
  get current(): StreamState {
    if (!this.state) throw new Error('InstanceReporter: load() first');
    return this.state;
  }

  /** True once the supervisor declared the instance lost or terminated: the worker must stop. */
  get disowned(): boolean {
    return this.state !== undefined && finished.has(this.state.state);
  }

  /** Reads the stream. */
  async load(): Promise<StreamState> {
    this.state = await load(this.store, this.stream);
    return this.state;
  }

  /** Whether the machine would take these events, in order, from the state last seen. */
  allows(events: NewEvent[]): boolean {
    return allows(this.stream, this.current, events);
  }

  /**
   * Appends what `decide` returns for the current state (serialised with every other append).
   * Resolves to the events written — [] when decide returned nothing or the machine refused them
   * (an IllegalTransition means the supervisor took the instance over: `disowned` tells).
   */
  report(decide: (state: StreamState) => NewEvent[] | null): Promise<NewEvent[]> {
    const run = async (): Promise<NewEvent[]> => {
      if (!this.state) await this.load();
      try {
        const result = await propose(this.store, this.stream, decide, { known: this.state });
        this.state = result.state;
        if (result.appended.length) this.lastAppendAt = Date.now();
        return result.appended;
      } catch (error) {
        if (!(error instanceof IllegalTransitionError)) throw error;
        this.state = await catchUp(this.store, this.stream, this.current);
        return [];
      }
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Appends the events if the machine allows them from the current state; otherwise nothing. */
  reportIfAllowed(events: NewEvent[]): Promise<NewEvent[]> {
    return this.report((state) => (allows(this.stream, state, events) ? events : null));
  }
}
