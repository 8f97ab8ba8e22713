export * from './browser';
export * from './hostile-idp';
export * from './servers';
