/**
 * Ports through which the API asks other parts of the system to do work. The composition root binds them
 * (`{ provide: REFIT_TRIGGER, useValue: clustererRefitTrigger }`); when unbound the API answers 503.
 */
export const REFIT_TRIGGER = Symbol('REFIT_TRIGGER');
export const REPLAY_TRIGGER = Symbol('REPLAY_TRIGGER');

export interface TriggerResult {
  /** Whether the work was accepted (false: e.g. a refit is already running). */
  accepted: boolean;
  /** Identifier of the job / model version / replay run, when there is one. */
  id?: string;
  message?: string;
  detail?: Record<string, unknown>;
}

export interface RefitRequest {
  /** Free text recorded with the model (e.g. "manual: new campaign"). */
  reason: string;
  /** Who asked (API key fingerprint). */
  requestedBy: string;
}

export interface RefitTrigger {
  requestRefit(request: RefitRequest): Promise<TriggerResult>;
}

export interface ReplayRequest {
  /** A data file the ingest knows (e.g. `Ecommerce.csv`); the ingest decides what it accepts. */
  file?: string;
  /** Stop after this many lines. */
  limit?: number;
  requestedBy: string;
}

export interface ReplayTrigger {
  requestReplay(request: ReplayRequest): Promise<TriggerResult>;
}

/**
 * Optional port to the clusterer's full explanation (with the nearest neighbours from the model artifact), served
 * at GET /v1/customers/:id/explanation. Unbound: the API's own explanation (stored profiles, no neighbours).
 * Resolves null for an unknown customer.
 */
export const CUSTOMER_EXPLAINER = Symbol('CUSTOMER_EXPLAINER');

export interface CustomerExplainer {
  explain(customerId: string): Promise<Record<string, unknown> | null>;
}
