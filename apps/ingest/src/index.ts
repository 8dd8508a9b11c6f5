export * from './ingest.config';
export * from './ingest.module';
export * from './publisher/invoice-line.publisher';
export * from './publisher/publish.stream';
export * from './replay/replay-file';
export * from './replay/replay.trigger';
