/**
 * Injection tokens of the API app. The ClickHouse client and the event bus come from the process-wide global
 * modules (`CLICKHOUSE` from `@insiders/storage` StorageModule, `EVENT_BUS` from `@insiders/messaging` BusModule);
 * `ApiCoreModule` (global) provides the API configuration to every module `ApiModule` imports, including
 * `DashboardModule` and `ReportModule`:
 *
 *   constructor(@Inject(API_CONFIG) config: ApiConfig, @Inject(CLICKHOUSE) clickhouse: ClickHouseClient) {}
 *
 * The trigger ports (`REFIT_TRIGGER`, `REPLAY_TRIGGER`) live in `@insiders/api-contracts` so the clusterer and ingest
 * can implement them without importing this app.
 */
export const API_CONFIG = Symbol('API_CONFIG');
/** The process's readiness probes (`HEALTH` of @insiders/observability when bound, else the API's own). */
export const API_HEALTH = Symbol('API_HEALTH');
