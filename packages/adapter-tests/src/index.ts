export {
  type AdapterApp,
  type AppOptions,
  PROXY_PATH,
  type StartAdapterApp,
  TEST_API,
  type TestAnswer,
  type TestGuard,
  type TestRequest,
  type TestRoute,
  testRoutes,
  testVerifier,
} from './app';
export {
  type AppOverrides,
  alice,
  appOptions,
  cookieHeader,
  type DevIdpWithApps,
  ECHO_CHALLENGE,
  type EchoApi,
  echoApi,
  FakeClock,
  grantCount,
  JSON_HEADERS,
  rawRequest,
  type SignInOptions,
  signedInBrowser,
  startDevIdpWithApps,
  TEST_CLIENT,
  TEST_SECRET,
  testClient,
  useDevIdpWithApps,
} from './fixtures';
export { adapterSuite } from './suite';
export { type InstanceTestOptions, instanceTests } from './suite/instances';
export { BODY_LIMIT } from './suite/routes';
