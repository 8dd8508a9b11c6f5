/**
 * Injection tokens of the API app. `ApiCoreModule` (global) provides the first three, so every module imported by
 * `ApiModule` (including `DashboardModule` and `ReportModule`) can inject them:
 *
 *   constructor(@Inject(API_CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}
 *
 * The trigger ports (`REFIT_TRIGGER`, `REPLAY_TRIGGER`) live in `@insiders/api-contracts` so the clusterer and ingest
 * can implement them without importing this app.
 */
export const API_CONFIG = Symbol('API_CONFIG');
/** The `@clickhouse/client` client (chDB embedded or a server) shared with the rest of the process. */
export const API_CLICKHOUSE = Symbol('API_CLICKHOUSE');
/** The event bus, or `null` when the composition root binds none (live endpoints then answer 503). */
export const API_BUS = Symbol('API_BUS');
