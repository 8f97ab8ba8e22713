// What an IdP's answer that cannot be read becomes, against test-utils' hostile IdP (a real OP
// over HTTP that misanswers on demand): a token response that is not JSON is the IdP's fault
// (idp_invalid_response), not the ID token's. A body cut short by the network is idp_unreachable
// (test/outages.test.ts, through the fault proxy).
import { expect, it } from 'vitest';
import { cookiesAfter, signInParts, useHostileIdp } from '../test/hostile';

const hostile = useHostileIdp();

it('answers a token response that is not JSON with idp_invalid_response, and writes no session', async () => {
  hostile.idp.mode = 'valid';
  const { signIn } = signInParts(hostile.idp.issuer);
  const login = await signIn.login(new Request('http://127.0.0.1:3999/auth/login'));
  const back = (await fetch(login.headers.get('location')!, { redirect: 'manual' })).headers.get(
    'location',
  )!;
  hostile.idp.mode = 'token-not-json';
  const cookie = cookiesAfter(login);
  const answer = await signIn.callback(
    new Request(back, { headers: { cookie, accept: 'application/json' } }),
  );
  expect(answer.status).toBe(502);
  expect(await answer.json()).toEqual({
    error: 'idp_invalid_response',
    message: `The IdP answered a body that is not JSON at ${hostile.idp.issuer}/token.`,
  });
  expect(answer.headers.getSetCookie().every((line) => !line.startsWith('lk_session='))).toBe(true);
});
