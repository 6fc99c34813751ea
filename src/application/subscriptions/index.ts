export * from './catchUpSubscription';
export * from './checkpointedConsumer';
