export * from './sagaVocabulary';
export * from './sagaDefinition';
export * from './sagaInput';
export * from './sagaIntents';
export * from './sagaErrors';
export * from './fulfillmentSaga';
export { createSagaMachine, type SagaMachine } from './sagaMachine';
export type { SagaContext, StepOutcome, ManualReview, StepFailure } from './sagaContext';
export * from './sagaDecider';
