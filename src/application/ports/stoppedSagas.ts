/**
 * Sagas the reactor could not restore (their stored form is of another machine version, or does
 * not replay): each stopped with the reason, while the others go on. Kept durably, so that every
 * process (a `serve` apart from the reactor) shows them and a version that can restore them
 * resumes them.
 */
export type StoppedSaga = Readonly<{ sagaId: string; reason: string; stoppedAt: string }>;

export interface StoppedSagaStore {
  stop(saga: StoppedSaga): Promise<void>;
  /** The oldest first, at most `limit`. */
  list(limit?: number): Promise<StoppedSaga[]>;
  count(): Promise<number>;
  resume(sagaId: string): Promise<void>;
}
