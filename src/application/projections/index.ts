export * from './projection';
export * from './sagaSummary';
export * from './orderFulfillmentSagasProjection';
