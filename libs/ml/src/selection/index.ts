export * from './ari';
export * from './select-k';
