export * from './cleaning-policy';
export * from './customer-features';
export * from './derive-features';
export * from './features.sql';
export * from './quarantine.rules';
export * from './current-features.sql';
export * from './row-binary.reader';
