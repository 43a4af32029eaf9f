/** Yima (翼码) card gateway: codecs, signing rules, split rules, the client and the notification receiver. */
export * from './wire';
export * from './sign';
export * from './codec';
export * from './split';
export * from './messages';
export * from './result-map';
export * from './http';
export * from './client';
export * from './check-rule';
export * from './notify-listener';
