import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/cli-args';

describe('latchkey-dev-idp arguments', () => {
  it('builds startDevIdp options for one client', () => {
    const command = parseCliArgs([
      '--port',
      '4000',
      '--client-id',
      'demo',
      '--client-secret',
      'demo-secret',
      '--redirect-uri',
      'http://localhost:3000/auth/callback',
      '--redirect-uri',
      'http://localhost:5173/auth/callback',
      '--post-logout-redirect-uri',
      'http://localhost:3000/',
      '--backchannel-logout-uri',
      'http://localhost:3000/auth/backchannel-logout',
    ]);
    expect(command).toEqual({
      help: false,
      options: {
        port: 4000,
        hostname: 'localhost',
        clients: [
          {
            client_id: 'demo',
            client_secret: 'demo-secret',
            redirect_uris: [
              'http://localhost:3000/auth/callback',
              'http://localhost:5173/auth/callback',
            ],
            post_logout_redirect_uris: ['http://localhost:3000/'],
            backchannel_logout_uri: 'http://localhost:3000/auth/backchannel-logout',
          },
        ],
      },
    });
  });

  it('registers a public client when no secret is given', () => {
    const command = parseCliArgs(['--redirect-uri', 'http://localhost:3000/cb']);
    expect(command).toMatchObject({
      help: false,
      options: {
        port: 4000,
        clients: [{ client_id: 'demo', redirect_uris: ['http://localhost:3000/cb'] }],
      },
    });
    if (!command.help) expect(command.options.clients[0]?.client_secret).toBeUndefined();
  });

  it('rejects bad input with a message', () => {
    expect(() => parseCliArgs([])).toThrow(/--redirect-uri/);
    expect(() => parseCliArgs(['--port', 'x', '--redirect-uri', 'http://a/'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--redirect-uri', 'not a url'])).toThrow(/not a URL/);
    expect(() => parseCliArgs(['--nope'])).toThrow(/nope/);
    expect(parseCliArgs(['-h'])).toEqual({ help: true });
  });
});
