import { fulfillmentSaga } from './fulfillmentSaga';
import { persistedSnapshotOf, restoredSnapshotOf, type SagaMachineSnapshot } from './sagaSnapshots';
import type { SagaState } from './sagaVocabulary';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { reachableMachineSnapshots } from './testing/reachableMachineSnapshots';

const fulfillment = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});

describe.each([
  ['the fulfillment saga', fulfillment],
  ['a saga with an optional step', optionalStepSaga],
])('saga snapshots of %s', (_name, definition) => {
  const { machine, snapshots } = reachableMachineSnapshots(definition);

  it('persists every reachable snapshot to the same JSON as xstate getPersistedSnapshot, key order included', () => {
    expect(snapshots.length).toBeGreaterThan(100);
    const differing = snapshots.filter(
      (snapshot) =>
        JSON.stringify(persistedSnapshotOf(machine, snapshot)) !==
        JSON.stringify(machine.getPersistedSnapshot(snapshot)),
    );
    expect(differing.map((snapshot) => JSON.stringify(snapshot.context))).toEqual([]);
    expect(persistedSnapshotOf(machine, snapshots[1]!)).toEqual(machine.getPersistedSnapshot(snapshots[1]!));
  });

  it('leaves a snapshot with history to xstate', () => {
    const withHistory = { ...snapshots[0]!, historyValue: { past: [] } } as unknown as SagaMachineSnapshot;
    expect(persistedSnapshotOf(machine, withHistory)).toEqual(machine.getPersistedSnapshot(withHistory));
    expect(persistedSnapshotOf(machine, withHistory)).toMatchObject({ historyValue: { past: [] } });
  });

  it('restores every reachable snapshot exactly as xstate resolveState, every field and key order included', () => {
    for (const { value, context } of snapshots) {
      const restored = restoredSnapshotOf(machine, value as SagaState, context);
      const resolved = machine.resolveState({ value, context });
      expect(Object.keys(restored)).toEqual(Object.keys(resolved));
      expect(restored).toEqual(resolved);
      expect(restored.context).toBe(context);
      expect(restored.machine).toBe(machine);
    }
  });

  it('gives each restored snapshot records of its own: restoring a state twice shares nothing a transition extends', () => {
    const { value, context } = snapshots[0]!;
    const first = restoredSnapshotOf(machine, value as SagaState, context);
    const second = restoredSnapshotOf(machine, value as SagaState, context);
    expect(second).not.toBe(first);
    expect(second.children).not.toBe(first.children);
    expect(second.historyValue).not.toBe(first.historyValue);
  });
});
