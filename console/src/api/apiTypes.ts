/**
 * The shapes the console reads, as the API answers them (GET /openapi.json is the authority;
 * docs/api.md and issue 10's API contract describe them).
 */
export const sagaStates = [
  'PENDING_PRESCRIPTION',
  'PENDING_INVENTORY_RESERVATION',
  'PENDING_SHIPMENT',
  'COMPENSATING',
  'MANUAL_REVIEW',
  'COMPLETED',
  'CANCELLED',
] as const;
export type SagaState = (typeof sagaStates)[number];

export const sagaScopes = ['pending', 'failed', 'completed'] as const;
export type SagaScope = (typeof sagaScopes)[number];

export type SagaStatus = {
  sagaId: string;
  orderId: string;
  state: SagaState;
  currentStep: string | null;
  compensationStack: string[];
  failedStep: string | null;
  failureCode: string | null;
  failureReason: string | null;
  failedCompensation: string | null;
  cancellationRequested: boolean;
  resolutionNote: string | null;
  startedAt: string;
  completedAt: string | null;
  updatedAt: string;
};

export type SagaList = { items: SagaStatus[]; nextCursor: string | null };

export type SagaStats = {
  counts: Partial<Record<SagaState, number>>;
  durationsMs: { p50: number | null; p95: number | null; p99: number | null };
};

export type SagaEvent = {
  position: number;
  stream: string;
  type: string;
  data: Record<string, unknown>;
  metadata: { occurredAt?: string; eventId?: string; causationId?: string } & Record<string, unknown>;
};

type ParticipantReport = { status: string; code?: string; reason?: string } & Record<string, unknown>;

export type Order = {
  orderId: string;
  sagaId: string;
  patientId: string;
  prescriberId: string | null;
  medications: { sku: string; quantity: number }[];
  shippingAddress: { line1: string; line2?: string; city: string; postalCode: string; country: string };
  placedAt: string;
  cancellationRequested: boolean;
  cancelled: boolean;
  saga: SagaStatus;
  participants: {
    prescription: ParticipantReport | null;
    inventoryReservation: ParticipantReport | null;
    shipment: ParticipantReport | null;
  };
};

export type Throughput = {
  bucketSeconds: number;
  buckets: { at: string; completed: number; cancelled: number; manualReview: number }[];
};

export type JobStats = { waiting: number; active: number; delayed: number; deadLettered: number };

export type DeadLetter = {
  jobId: string;
  sagaId: string;
  orderId?: string;
  kind: 'step' | 'compensation';
  name: string;
  attempts: number;
  failedReason: string;
  failedAt: string;
};
export type DeadLetterList = { items: DeadLetter[]; nextCursor: string | null };

export type SagaDefinition = {
  states: { name: string; kind: 'pending' | 'compensating' | 'final' | 'review'; step?: string }[];
  transitions: { from: string; to: string; on: string; guard?: string }[];
};

export type InventoryItem = {
  sku: string;
  name: string;
  controlled: boolean;
  onHand: number;
  reserved: number;
  available: number;
};

export type Readiness = {
  status: string;
  checks?: Record<string, unknown>;
};
