export type HealthProbe = () => Promise<void>;

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, { status: 'ok' | 'error'; error?: string; ms: number }>;
}

/** Named readiness probes (storage, bus, ...) run together with a timeout each; `/health` answers 503 on any failure. */
export class HealthChecks {
  private readonly probes = new Map<string, HealthProbe>();

  constructor(private readonly timeoutMs = 2_000) {}

  register(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            probe(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
            }),
          ]);
          return [name, { status: 'ok' as const, ms: Date.now() - started }] as const;
        } catch (e) {
          return [name, { status: 'error' as const, error: (e as Error).message, ms: Date.now() - started }] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { status: entries.every(([, c]) => c.status === 'ok') ? 'ok' : 'error', checks };
  }
}
