import type { EventStore } from '../ports/eventStore';
import type { SagaReadModel } from './sagaReadModel';

export type QueryDependencies = Readonly<{ eventStore: EventStore; readModel: SagaReadModel }>;
