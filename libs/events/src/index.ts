export * from './invoice-line.event';
export * from './invoice-line.validator';
export * from './invoice-line.codec';
export * from './invoice-time';
export * from './dead-letter.record';
export * from './csv/csv-line.splitter';
export * from './csv/invoice-csv.reader';
export * from './segment-change.event';
