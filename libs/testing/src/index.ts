export * from './eventually';
export * from './names';
export * from './kafka';
export * from './kcat';
