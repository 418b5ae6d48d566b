/** machines/: the pure core — the two machines, their events, errors and the fold. */
export * from './errors.ts';
export * from './events.ts';
export * from './jobEvents.ts';
export * from './jobMachine.ts';
export * from './instanceEvents.ts';
export * from './instanceMachine.ts';
export * from './evolve.ts';
export { compileMachine, type CompiledMachine } from './compiledMachine.ts';
export * from './readModel.ts';
