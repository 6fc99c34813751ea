import { fulfillmentSaga } from './fulfillmentSaga';
import { sagaGraphOf } from './sagaGraph';
import { optionalStepSaga } from './testing/optionalStepSaga';

const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1000, ReserveInventory: 1000, InitiateShipment: 1000 },
  retry: { attempts: 3, backoffMs: 10 },
});

describe('sagaGraphOf', () => {
  it('lists every state of SPEC §2 with its kind, and the step each pending state runs', () => {
    expect(sagaGraphOf(definition).states).toEqual([
      { name: 'PENDING_PRESCRIPTION', kind: 'pending', step: 'CreatePrescription' },
      { name: 'PENDING_INVENTORY_RESERVATION', kind: 'pending', step: 'ReserveInventory' },
      { name: 'PENDING_SHIPMENT', kind: 'pending', step: 'InitiateShipment' },
      { name: 'COMPENSATING', kind: 'compensating' },
      { name: 'MANUAL_REVIEW', kind: 'review' },
      { name: 'COMPLETED', kind: 'final' },
      { name: 'CANCELLED', kind: 'final' },
    ]);
  });

  it('lists the transitions that change state, as the machine has them; a required step failing only unwinds', () => {
    const edges = sagaGraphOf(definition).transitions.map(({ from, to, on }) => `${from} -${on}-> ${to}`);
    expect(edges.sort()).toEqual(
      [
        'PENDING_PRESCRIPTION -stepSucceeded-> PENDING_INVENTORY_RESERVATION',
        'PENDING_PRESCRIPTION -stepFailed-> COMPENSATING',
        'PENDING_PRESCRIPTION -compensationFailed-> MANUAL_REVIEW',
        'PENDING_PRESCRIPTION -cancellationRequested-> COMPENSATING',
        'PENDING_INVENTORY_RESERVATION -stepSucceeded-> PENDING_SHIPMENT',
        'PENDING_INVENTORY_RESERVATION -stepFailed-> COMPENSATING',
        'PENDING_INVENTORY_RESERVATION -compensationFailed-> MANUAL_REVIEW',
        'PENDING_INVENTORY_RESERVATION -cancellationRequested-> COMPENSATING',
        'PENDING_SHIPMENT -stepSucceeded-> COMPLETED',
        'PENDING_SHIPMENT -stepFailed-> COMPENSATING',
        'PENDING_SHIPMENT -compensationFailed-> MANUAL_REVIEW',
        'PENDING_SHIPMENT -cancellationRequested-> COMPENSATING',
        'COMPENSATING -compensationFailed-> MANUAL_REVIEW',
        'COMPENSATING -always-> CANCELLED',
        'MANUAL_REVIEW -reviewRetried-> COMPLETED',
        'MANUAL_REVIEW -reviewRetried-> COMPENSATING',
        'MANUAL_REVIEW -reviewResolved-> COMPLETED',
        'MANUAL_REVIEW -reviewResolved-> CANCELLED',
        'COMPLETED -compensationFailed-> MANUAL_REVIEW',
        'CANCELLED -compensationFailed-> MANUAL_REVIEW',
      ].sort(),
    );
    expect(sagaGraphOf(definition).transitions).toContainEqual({
      from: 'COMPENSATING',
      to: 'CANCELLED',
      on: 'always',
      guard: 'unwindingIsOver',
    });
  });

  it('follows the definition: an optional step that fails goes on to the next step', () => {
    const { transitions } = sagaGraphOf(optionalStepSaga);
    const onFailure = transitions.filter((edge) => edge.from === 'PENDING_PRESCRIPTION' && edge.on === 'stepFailed');
    expect(onFailure).toEqual([
      { from: 'PENDING_PRESCRIPTION', to: 'PENDING_INVENTORY_RESERVATION', on: 'stepFailed' },
    ]);
    expect(
      transitions.filter((edge) => edge.from === 'PENDING_INVENTORY_RESERVATION' && edge.on === 'stepFailed'),
    ).toEqual([
      { from: 'PENDING_INVENTORY_RESERVATION', to: 'COMPENSATING', on: 'stepFailed', guard: 'failedStepIsRequired' },
    ]);
  });
});
