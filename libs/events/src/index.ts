export * from './invoice-line.event';
