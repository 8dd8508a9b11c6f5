export * from './trigger.ports';
export * from './webhook.signature';
export * from './request.schemas';
export * from './grafana.schemas';
