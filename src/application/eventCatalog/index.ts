export * from './eventCatalog';
export * from './eventCodec';
