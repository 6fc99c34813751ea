import type { SnapshotFrom } from 'xstate';
import type { SagaContext } from './sagaContext';
import type { SagaMachine } from './sagaMachine';
import type { SagaState } from './sagaVocabulary';

/**
 * Saga machine snapshots to and from storage: what xstate's `machine.resolveState()` and
 * `machine.getPersistedSnapshot()` return, without redoing per event what depends only on the
 * state. Both are general (nested and parallel states, history, children, actor references in the
 * context), and pay for it on every call: ~1.3 µs to restore and ~5 µs to persist, together more
 * than half of a transition. A saga snapshot is one flat state, no history, no children and a
 * context of plain data (SagaContext holds no actor references).
 * sagaSnapshots.unit.spec.ts holds both to xstate's own over every reachable saga snapshot.
 */
export type SagaMachineSnapshot = SnapshotFrom<SagaMachine>;

/**
 * `machine.resolveState({ value, context })`. Everything in it but the context follows from the
 * state, so it is resolved once per state and copied with this context (and fresh `children` and
 * `historyValue`, the two records a transition could extend).
 */
export function restoredSnapshotOf(machine: SagaMachine, value: SagaState, context: SagaContext): SagaMachineSnapshot {
  let resolved = resolvedStates.get(machine);
  if (!resolved) resolvedStates.set(machine, (resolved = new Map()));
  let template = resolved.get(value);
  if (!template) resolved.set(value, (template = machine.resolveState({ value, context })));
  return { ...template, context, children: {}, historyValue: {} };
}

const resolvedStates = new WeakMap<SagaMachine, Map<SagaState, SagaMachineSnapshot>>();

/**
 * `machine.getPersistedSnapshot(snapshot)`: its plain fields in xstate's key order, so the stored
 * JSON is byte for byte the same. A snapshot with children or history still goes to xstate.
 */
export function persistedSnapshotOf(machine: SagaMachine, snapshot: SagaMachineSnapshot): unknown {
  const { status, output, error, value, historyValue, context, children } = snapshot;
  if (!isEmpty(children) || !isEmpty(historyValue)) return machine.getPersistedSnapshot(snapshot);
  return { status, output, error, value, historyValue: {}, context, children: {} };
}

function isEmpty(record: object | undefined): boolean {
  for (const _ in record) return false;
  return true;
}
