/**
 * Restored sagas kept in memory with the revision they were read or written at, so that the next
 * event of a saga does not read its stream again. The revision makes a stale entry harmless: an
 * append against it fails with a ConcurrencyError, and the reactor drops the entry and reloads.
 * The least recently used entry goes first once `capacity` is reached.
 */
export class SagaCache<Entry> {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  get(sagaId: string): Entry | undefined {
    const entry = this.entries.get(sagaId);
    if (entry) {
      this.entries.delete(sagaId);
      this.entries.set(sagaId, entry);
    }
    return entry;
  }

  set(sagaId: string, state: Entry): void {
    this.entries.delete(sagaId);
    this.entries.set(sagaId, state);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(sagaId: string): void {
    this.entries.delete(sagaId);
  }

  clear(): void {
    this.entries.clear();
  }
}
