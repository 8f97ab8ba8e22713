export * from './browser';
export * from './hostile-idp';
export * from './redis';
export * from './servers';
