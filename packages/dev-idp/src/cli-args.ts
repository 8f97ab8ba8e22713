import { parseArgs } from 'node:util';
import type { DevIdpOptions } from './dev-idp';

/** Usage text of the `latchkey-dev-idp` command. */
export const USAGE = `Usage: latchkey-dev-idp [options]

Starts the latchkey dev OpenID Provider on 127.0.0.1.

Options:
  --port <n>                        port to listen on (default 4000; 0 = any free port)
  --hostname <name>                 host name in the issuer URL (default localhost)
  --client-id <id>                  client to register (default demo)
  --client-secret <secret>          its secret; omit for a public client
  --redirect-uri <uri>              allowed redirect URI (repeatable, at least one)
  --post-logout-redirect-uri <uri>  allowed post-logout redirect URI (repeatable)
  --backchannel-logout-uri <uri>    back-channel logout endpoint of the client
  -h, --help                        show this help`;

/** What the command line asks for: options for startDevIdp, or help. */
export type CliCommand = { help: true } | { help: false; options: DevIdpOptions };

/**
 * Parses `latchkey-dev-idp` arguments (without `node` and the script path).
 *
 * @throws On unknown options, a bad port, or no redirect URI.
 */
export function parseCliArgs(args: readonly string[]): CliCommand {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '4000' },
      hostname: { type: 'string', default: 'localhost' },
      'client-id': { type: 'string', default: 'demo' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };

  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  const redirectUris = values['redirect-uri'] ?? [];
  if (redirectUris.length === 0) throw new Error('give at least one --redirect-uri');
  for (const uri of [...redirectUris, ...(values['post-logout-redirect-uri'] ?? [])]) {
    if (!URL.canParse(uri)) throw new Error(`not a URL: "${uri}"`);
  }

  const client: DevIdpOptions['clients'][number] = {
    client_id: values['client-id'],
    redirect_uris: redirectUris,
  };
  if (values['client-secret'] !== undefined) client.client_secret = values['client-secret'];
  if (values['post-logout-redirect-uri'] !== undefined) {
    client.post_logout_redirect_uris = values['post-logout-redirect-uri'];
  }
  if (values['backchannel-logout-uri'] !== undefined) {
    client.backchannel_logout_uri = values['backchannel-logout-uri'];
  }
  return { help: false, options: { port, hostname: values.hostname, clients: [client] } };
}
