export * from './catchUpSubscription';
export * from './checkpointedConsumer';
export * from './partitionedSubscription';
