export { createParticipants, type Participants } from './createParticipants';
export { demoCatalogItems, seedCatalog } from './builtin/demoCatalog';
