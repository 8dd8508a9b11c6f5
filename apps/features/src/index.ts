export * from './features.config';
export * from './features.module';
export * from './features.repository';
export * from './features.service';
export * from './features.tokens';
export * from './invoice-lines.processor';
