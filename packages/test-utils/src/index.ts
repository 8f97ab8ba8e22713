export * from './authenticator';
export * from './browser';
export * from './chromium';
export * from './cookie-jar';
export * from './hostile-idp';
export * from './processes';
export * from './redis';
export * from './servers';
