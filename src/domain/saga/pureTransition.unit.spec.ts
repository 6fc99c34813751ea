import { assign, initialTransition, raise, setup, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import { fulfillmentSaga } from './fulfillmentSaga';
import { pureInitialTransition, pureTransition } from './pureTransition';
import { sagaMachineOf } from './sagaDecider';
import { inputs } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { reachableMachineSnapshots, startInput } from './testing/reachableMachineSnapshots';
import { now } from './testing/sagaSpecification';

/**
 * pureTransition must be xstate's `transition` without its fixed cost: the same next snapshot and
 * the same actions, in the same order, with the same params and the same context and event handed
 * to each. Everything but the actor a (never run) action would see as `self` is compared.
 */
type Result = readonly [SnapshotFrom<AnyStateMachine>, readonly { type: string; params?: unknown; info: object }[]];

const observable = ([snapshot, actions]: Result) =>
  JSON.stringify({
    status: snapshot.status,
    value: snapshot.value,
    context: snapshot.context,
    historyValue: snapshot.historyValue,
    children: Object.keys(snapshot.children),
    actions: actions.map(({ type, params, info }) => {
      const { context, event } = info as { context: unknown; event: unknown };
      return { type, params, context, event };
    }),
  });

const fulfillment = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});

describe.each([
  ['the fulfillment saga', fulfillment],
  ['a saga with an optional step', optionalStepSaga],
])('pureTransition on %s', (_name, definition) => {
  const { machine, snapshots, pairs } = reachableMachineSnapshots(definition);

  it('is used on a machine it suits: no state invokes, no reachable snapshot has children', () => {
    const stateNodes = [machine.root, ...Object.values(machine.states)];
    expect(stateNodes.flatMap((node) => node.invoke)).toEqual([]);
    expect(snapshots.filter((snapshot) => Object.keys(snapshot.children).length > 0)).toEqual([]);
  });

  it('starts exactly as xstate initialTransition', () => {
    const pure = pureInitialTransition(machine, startInput);
    expect(observable(pure)).toBe(observable(initialTransition(machine, startInput)));
    expect(pure[1].map((action) => action.type)).toEqual(['runStep', 'scheduleDeadline']);
  });

  it('gives the same snapshot and actions as xstate transition on every reachable (snapshot, input) pair', () => {
    expect(snapshots.length).toBeGreaterThan(100);
    const differing = pairs.filter(
      ({ snapshot, event }) =>
        observable(pureTransition(machine, snapshot, event)) !== observable(transition(machine, snapshot, event)),
    );
    expect(differing.map(({ snapshot, event }) => `${String(snapshot.value)} on ${event.type}`)).toEqual([]);
  });

  it('returns the snapshot it was given when no transition is enabled, as xstate does', () => {
    const { snapshot, event } = pairs.find(
      (pair) => transition(machine, pair.snapshot, pair.event)[0] === pair.snapshot,
    )!;
    const [next, actions] = pureTransition(machine, snapshot, event);
    expect(next).toBe(snapshot);
    expect(actions).toEqual([]);
  });
});

describe('pureTransition on machines with more xstate features', () => {
  // Entry and exit actions, eventless transitions, raised events, guards and params: the paths
  // that touch the actor scope beyond collecting actions.
  const machine = setup({
    types: { context: {} as { count: number; log: string[] }, events: {} as { type: 'go' } | { type: 'again' } },
    actions: {
      note: assign(({ context }, params: { what: string }) => ({ log: [...context.log, params.what] })),
      count: assign(({ context }) => ({ count: context.count + 1 })),
      notify: (_, _params: { to: string }) => {},
    },
    guards: { below: ({ context }, params: { limit: number }) => context.count < params.limit },
  }).createMachine({
    context: { count: 0, log: [] },
    initial: 'idle',
    entry: [{ type: 'notify', params: { to: 'start' } }],
    states: {
      idle: {
        exit: [{ type: 'note', params: { what: 'left idle' } }],
        on: { go: { target: 'busy', actions: ['count', raise({ type: 'again' })] } },
      },
      busy: {
        entry: [{ type: 'notify', params: { to: 'busy' } }],
        always: { guard: { type: 'below', params: { limit: 2 } }, target: 'idle' },
        on: { again: { actions: [{ type: 'note', params: { what: 'again' } }] } },
      },
    },
  });

  it('matches xstate for the initial transition and a run of events', () => {
    let pure = pureInitialTransition(machine, undefined);
    let reference = initialTransition(machine);
    expect(observable(pure)).toBe(observable(reference));
    for (let i = 0; i < 4; i++) {
      pure = pureTransition(machine, pure[0], { type: 'go' });
      reference = transition(machine, reference[0], { type: 'go' });
      expect(observable(pure)).toBe(observable(reference));
    }
    expect(pure[0].value).toBe('busy');
    expect(pure[0].context).toEqual({ count: 2, log: ['left idle', 'left idle', 'again'] });
  });

  it('keeps each call’s actions to itself when calls interleave across machines', () => {
    const sagaMachine = sagaMachineOf(optionalStepSaga);
    const [started] = initialTransition(sagaMachine, startInput);
    const failed = { ...inputs.prescriptionFailed(), at: now };
    const idle = initialTransition(machine)[0];
    const first = pureTransition(machine, idle, { type: 'go' });
    const second = pureTransition(sagaMachine, started, failed);
    expect(observable(first)).toBe(observable(transition(machine, idle, { type: 'go' })));
    expect(observable(second)).toBe(observable(transition(sagaMachine, started, failed)));
    expect(first[1].length).toBeGreaterThan(0);
  });
});
