export * from './createSqlEventStore';
export { EventIdReusedError } from './eventIdReusedError';
