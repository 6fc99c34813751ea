/**
 * Wakes followers in this process when an append here has stored events after the position they
 * wait beyond. Appends by other processes are not seen: waiters then time out and read again.
 */
export class AppendNotifier {
  private lastPosition = 0;
  private readonly waiters = new Set<{ after: number; wake(): void }>();

  notify(position: number): void {
    if (position > this.lastPosition) this.lastPosition = position;
    for (const waiter of this.waiters) if (position > waiter.after) waiter.wake();
  }

  wait(after: number, timeoutMs: number): Promise<void> {
    if (this.lastPosition > after) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Releases every waiter, e.g. when the store closes. */
  close(): void {
    for (const waiter of [...this.waiters]) waiter.wake();
  }
}
