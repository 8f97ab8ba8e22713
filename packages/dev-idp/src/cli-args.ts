import { parseArgs } from 'node:util';
import { latchkeySiteOf, latchkeyUris } from './clients';
import type { DevIdpClient, DevIdpOptions } from './dev-idp';

/** The client the command registers by default: the one latchkey's READMEs configure. */
export const DEFAULT_CLIENT_ID = 'latchkey-demo';
export const DEFAULT_CLIENT_SECRET = 'latchkey-demo-secret';

/** Usage text of the `latchkey-dev-idp` command. */
export const USAGE = `Usage: latchkey-dev-idp --redirect-uri <uri> [options]

Starts the latchkey dev OpenID Provider on 127.0.0.1 with one client. It stops on
Ctrl+C, SIGTERM, or when the process that started it exits.

Options:
  --port <n>                        port to listen on (default 4000; 0 = any free port)
  --hostname <name>                 host name in the issuer URL (default localhost)
  --client-id <id>                  client to register (default ${DEFAULT_CLIENT_ID})
  --client-secret <secret>          its secret (default ${DEFAULT_CLIENT_SECRET})
  --public                          register a public client instead (no secret, PKCE only)
  --redirect-uri <uri>              allowed redirect URI (repeatable, at least one)
  --post-logout-redirect-uri <uri>  allowed post-logout redirect URI (repeatable; default: for
                                    <app>/auth/callback, <app>/; for any other URI, its origin + /)
  --backchannel-logout-uri <uri>    back-channel logout endpoint of the client (default:
                                    <app>/auth/backchannel-logout for the first <app>/auth/callback)
  -h, --help                        show this help`;

/** What the command line asks for: options for startDevIdp, or help. */
export type CliCommand = { help: true } | { help: false; options: DevIdpOptions };

/**
 * The post-logout redirect URIs latchkey sends for an app whose callback is `redirectUri`: the
 * app's signed-out route and its base URL + `/`, or the origin + `/` when the callback is not
 * latchkey's default route.
 */
function postLogoutRedirectUrisFor(redirectUri: string): string[] {
  const site = latchkeySiteOf(redirectUri);
  return site === undefined
    ? [`${new URL(redirectUri).origin}/`]
    : latchkeyUris(site).postLogoutRedirectUris;
}

/** The back-channel logout route of the first redirect URI that is latchkey's default callback. */
function backchannelLogoutUriFor(redirectUris: readonly string[]): string | undefined {
  for (const uri of redirectUris) {
    const site = latchkeySiteOf(uri);
    if (site !== undefined) return latchkeyUris(site).backchannelLogoutUri;
  }
  return undefined;
}

/**
 * Parses `latchkey-dev-idp` arguments (without `node` and the script path). By default the
 * client is the confidential `latchkey-demo` / `latchkey-demo-secret`, and its post-logout and
 * back-channel logout URIs are those of latchkey's default routes next to each redirect URI.
 *
 * @throws On unknown options, a bad port, no redirect URI, or `--public` with `--client-secret`.
 */
export function parseCliArgs(args: readonly string[]): CliCommand {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '4000' },
      hostname: { type: 'string', default: 'localhost' },
      'client-id': { type: 'string', default: DEFAULT_CLIENT_ID },
      'client-secret': { type: 'string' },
      public: { type: 'boolean', default: false },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };

  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  if (values.public && values['client-secret'] !== undefined) {
    throw new Error('--public registers a client without a secret: drop --client-secret');
  }
  const redirectUris = values['redirect-uri'] ?? [];
  if (redirectUris.length === 0) throw new Error('give at least one --redirect-uri');
  const backchannel = values['backchannel-logout-uri'];
  for (const uri of [
    ...redirectUris,
    ...(values['post-logout-redirect-uri'] ?? []),
    ...(backchannel === undefined ? [] : [backchannel]),
  ]) {
    if (!URL.canParse(uri)) throw new Error(`not a URL: "${uri}"`);
  }

  const client: DevIdpClient = {
    client_id: values['client-id'],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [
      ...new Set(redirectUris.flatMap(postLogoutRedirectUrisFor)),
    ],
  };
  if (!values.public) client.client_secret = values['client-secret'] ?? DEFAULT_CLIENT_SECRET;
  const backchannelLogoutUri = backchannel ?? backchannelLogoutUriFor(redirectUris);
  if (backchannelLogoutUri !== undefined) client.backchannel_logout_uri = backchannelLogoutUri;
  return { help: false, options: { port, hostname: values.hostname, clients: [client] } };
}
