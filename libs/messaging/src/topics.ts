/** Topic names, derived from one configurable prefix so several deployments can share a cluster. */
export interface Topics {
  invoiceLines: string;
  invoiceLinesDeadLetter: string;
  segmentChanges: string;
}

export function topicsFor(prefix: string): Topics {
  return {
    invoiceLines: `${prefix}.invoice-lines.v1`,
    invoiceLinesDeadLetter: `${prefix}.invoice-lines.dlq`,
    segmentChanges: `${prefix}.segment-changes.v1`,
  };
}
