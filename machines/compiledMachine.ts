/**
 * A fast step function compiled from an XState machine's own definition — its transition table,
 * named guards and named `assign` actions — for folding long streams. xstate's `transition()` costs
 * tens of microseconds per event (it builds a full snapshot and resolves every action); replaying
 * 10,000 events must take well under 200 ms. Nothing here restates the machines: states, guards and
 * assignments are read from the machine object, and a test checks that this step equals
 * `transition()` on every generated path. Only the subset our machines use is supported (flat
 * states, string guards, string `assign` actions, no entry/exit/always); anything else throws at
 * compile time instead of silently diverging.
 */
import { initialTransition } from 'xstate';
import type { AnyStateMachine } from 'xstate';

/** A light snapshot: the state's name and the context. */
export interface LightSnapshot<C = Record<string, unknown>> {
  value: string;
  context: C;
}

type Guard = (args: { context: unknown; event: unknown }) => boolean;
type Assigner = (args: { context: unknown; event: unknown }) => Record<string, unknown>;

interface CompiledTransition {
  guard?: Guard;
  target?: string;
  assigners: Assigner[];
}

export interface CompiledMachine<C> {
  initial: LightSnapshot<C>;
  /** The next snapshot, or undefined when no transition is enabled for the event. */
  step(snapshot: LightSnapshot<C>, event: { type: string }): LightSnapshot<C> | undefined;
}

interface AssignAction {
  type: string;
  assignment: ((args: unknown) => Record<string, unknown>) | Record<string, unknown>;
}

function toAssigner(name: string, action: unknown): Assigner {
  const a = action as AssignAction | undefined;
  if (!a || a.type !== 'xstate.assign') throw new Error(`action "${name}" is not an assign action`);
  const { assignment } = a;
  if (typeof assignment === 'function') return (args) => assignment(args);
  const entries = Object.entries(assignment);
  return (args) => {
    const partial: Record<string, unknown> = {};
    for (const [key, value] of entries) partial[key] = typeof value === 'function' ? (value as (x: unknown) => unknown)(args) : value;
    return partial;
  };
}

/** Compiles a flat machine built with `setup({ guards, actions })` into a fast step function. */
export function compileMachine<C>(machine: AnyStateMachine): CompiledMachine<C> {
  const implementations = machine.implementations as unknown as { guards: Record<string, Guard>; actions: Record<string, unknown> };
  const table = new Map<string, Map<string, CompiledTransition[]>>();
  const root = machine.root as unknown as { states: Record<string, { entry: unknown[]; exit: unknown[]; always?: unknown; states: object; transitions: Map<string, Array<{ guard?: unknown; target?: Array<{ key: string }>; actions: unknown[] }>> }> };
  for (const [name, node] of Object.entries(root.states)) {
    if (node.entry.length || node.exit.length || node.always || Object.keys(node.states).length) {
      throw new Error(`state "${name}" uses features the compiled step does not support`);
    }
    const byEvent = new Map<string, CompiledTransition[]>();
    for (const [eventType, transitions] of node.transitions) {
      byEvent.set(
        eventType,
        transitions.map((t) => {
          if (t.guard !== undefined && typeof t.guard !== 'string') throw new Error(`${name}.${eventType}: only named guards are supported`);
          const guard = t.guard === undefined ? undefined : implementations.guards[t.guard];
          if (t.guard !== undefined && !guard) throw new Error(`${name}.${eventType}: unknown guard ${String(t.guard)}`);
          const assigners = t.actions.map((action) => {
            if (typeof action !== 'string') throw new Error(`${name}.${eventType}: only named actions are supported`);
            return toAssigner(action, implementations.actions[action]);
          });
          if (t.target && t.target.length !== 1) throw new Error(`${name}.${eventType}: one target at most`);
          return { guard, target: t.target?.[0]?.key, assigners };
        }),
      );
    }
    table.set(name, byEvent);
  }
  const [start] = initialTransition(machine);
  const initial = { value: String(start.value), context: start.context as C };
  return {
    initial,
    step(snapshot, event) {
      const candidates = table.get(snapshot.value)?.get(event.type);
      if (!candidates) return undefined;
      for (const t of candidates) {
        if (t.guard && !t.guard({ context: snapshot.context, event })) continue;
        // xstate applies a transition's assign actions in order, each seeing the context so far.
        let context = snapshot.context as Record<string, unknown>;
        for (const assign of t.assigners) context = { ...context, ...assign({ context, event }) };
        return { value: t.target ?? snapshot.value, context: context as C };
      }
      return undefined;
    },
  };
}
