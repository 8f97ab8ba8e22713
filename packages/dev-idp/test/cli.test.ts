import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/cli-args';
import { latchkeyClient } from '../src/clients';

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

  it("registers by default the READMEs' confidential client with latchkey's default routes", () => {
    // The READMEs' command: npx latchkey-dev-idp --port 4000 --redirect-uri http://localhost:3000/auth/callback
    const command = parseCliArgs([
      '--port',
      '4000',
      '--redirect-uri',
      'http://localhost:3000/auth/callback',
    ]);
    const app = latchkeyClient('http://localhost:3000', 'latchkey-demo', 'latchkey-demo-secret');
    expect(command).toEqual({
      help: false,
      options: { port: 4000, hostname: 'localhost', clients: [app] },
    });
    // What core sends by default: its signed-out route; with that route off, baseUrl + '/'.
    expect(app.post_logout_redirect_uris).toEqual([
      'http://localhost:3000/auth/signed-out',
      'http://localhost:3000/',
    ]);
    expect(app.backchannel_logout_uri).toBe('http://localhost:3000/auth/backchannel-logout');
  });

  it('derives the logout URIs of an app below a path, and of every redirect URI', () => {
    const command = parseCliArgs([
      '--redirect-uri',
      'http://localhost:3000/app/auth/callback',
      '--redirect-uri',
      'http://127.0.0.1:5173/oidc/return',
      '--redirect-uri',
      'http://localhost:8080/auth/callback',
    ]);
    expect(command).toMatchObject({
      options: {
        clients: [
          {
            post_logout_redirect_uris: [
              'http://localhost:3000/app/auth/signed-out',
              'http://localhost:3000/app/',
              'http://127.0.0.1:5173/',
              'http://localhost:8080/auth/signed-out',
              'http://localhost:8080/',
            ],
            // oidc-provider takes one: the first redirect URI at latchkey's default callback route.
            backchannel_logout_uri: 'http://localhost:3000/app/auth/backchannel-logout',
          },
        ],
      },
    });
  });

  it('registers no back-channel logout URI when no redirect URI is at /auth/callback', () => {
    const command = parseCliArgs(['--redirect-uri', 'http://localhost:3000/cb']);
    expect(command).toMatchObject({
      options: { clients: [{ post_logout_redirect_uris: ['http://localhost:3000/'] }] },
    });
    if (!command.help)
      expect(command.options.clients[0]).not.toHaveProperty('backchannel_logout_uri');
  });

  it('registers a public client with --public', () => {
    const command = parseCliArgs([
      '--public',
      '--client-id',
      'spa',
      '--redirect-uri',
      'http://localhost:3000/cb',
    ]);
    expect(command).toMatchObject({
      help: false,
      options: {
        port: 4000,
        clients: [{ client_id: 'spa', redirect_uris: ['http://localhost:3000/cb'] }],
      },
    });
    if (!command.help) expect(command.options.clients[0]).not.toHaveProperty('client_secret');
  });

  it('rejects bad input with a message', () => {
    expect(() => parseCliArgs([])).toThrow(/--redirect-uri/);
    expect(() => parseCliArgs(['--port', 'x', '--redirect-uri', 'http://a/'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--port', '65536', '--redirect-uri', 'http://a/'])).toThrow(
      /--port/,
    );
    expect(() => parseCliArgs(['--redirect-uri', 'not a url'])).toThrow(/not a URL/);
    expect(() =>
      parseCliArgs(['--redirect-uri', 'http://a/', '--backchannel-logout-uri', 'nope']),
    ).toThrow(/not a URL/);
    expect(() =>
      parseCliArgs(['--public', '--client-secret', 's', '--redirect-uri', 'http://a/']),
    ).toThrow(/--public/);
    expect(() => parseCliArgs(['--nope'])).toThrow(/nope/);
    expect(parseCliArgs(['-h'])).toEqual({ help: true });
  });
});
