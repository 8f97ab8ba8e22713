#!/usr/bin/env node
import { createServer } from 'node:net';
import { parseCliArgs, USAGE } from './cli-args';
import type { DevIdp } from './dev-idp';
import { DEV_OTP } from './users';

/** How often the command checks that the process that started it is still there. */
const PARENT_CHECK_MS = 500;

/** True when oidc-provider 9 printed its "Unsupported runtime" warning: on Node.js before 22 LTS ("Jod"). */
function warnsAboutRuntime(): boolean {
  const lts = process.release.lts;
  return typeof lts !== 'string' || lts < 'Jod';
}

/** Resolves true when `port` of 127.0.0.1 (where the dev IdP listens) is taken. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(true);
      else reject(error);
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/** Runs `latchkey-dev-idp`: starts the dev IdP, prints how to use it, stops on a signal or when its parent exits. */
async function main(): Promise<void> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`latchkey-dev-idp: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.help) {
    console.log(USAGE);
    return;
  }

  const { options } = command;
  const portTaken = `latchkey-dev-idp: port ${options.port} is already in use; choose another with --port (0 picks a free one).`;
  if (options.port !== 0 && (await portInUse(options.port ?? 0))) {
    console.error(portTaken);
    process.exitCode = 1;
    return;
  }
  // oidc-provider loads only now, so that a usage error or a taken port prints one line.
  const { startDevIdp } = await import('./dev-idp');
  let idp: DevIdp;
  try {
    idp = await startDevIdp(options);
  } catch (error) {
    // Taken between the check and the start.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.error(portTaken);
    process.exitCode = 1;
    return;
  }
  const [client] = options.clients;
  const field = (label: string, value: string): string =>
    `  ${(label === '' ? '' : `${label}:`).padEnd(27)}${value}`;
  const users = idp.users.map((user) => {
    const roles = Array.isArray(user.claims.roles)
      ? ` (roles: ${user.claims.roles.join(', ')})`
      : '';
    return `${user.username} / ${user.password}${roles}`;
  });
  const lines = [
    'latchkey dev IdP running',
    field('issuer', idp.issuer),
    field('discovery', `${idp.issuer}/.well-known/openid-configuration`),
    field(
      'client',
      client?.client_secret === undefined
        ? `${client?.client_id} (public, PKCE only)`
        : `${client.client_id} / ${client.client_secret}`,
    ),
    field('redirect URIs', client?.redirect_uris.join(' ') ?? ''),
    field('post-logout redirect URIs', client?.post_logout_redirect_uris?.join(' ') ?? '(none)'),
    field('back-channel logout URI', client?.backchannel_logout_uri ?? '(none)'),
    ...users.map((user, index) => field(index === 0 ? 'users' : '', user)),
    field('one-time code', `${DEV_OTP} (for acr urn:latchkey:acr:mfa)`),
    ...(warnsAboutRuntime()
      ? [
          `(oidc-provider's "Unsupported runtime" warning above is expected: the dev IdP is tested on Node.js 20.19+.)`,
        ]
      : []),
    'Press Ctrl+C to stop.',
  ];

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nlatchkey dev IdP: ${reason}, stopping`);
    idp.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGHUP', () => stop('SIGHUP'));
  // A signal sent to a wrapper (`npx`, `npm exec`, a shell's `sh -c`) may never reach this
  // process: when the process that started it goes away, it is re-parented, and stops.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('the process that started it exited');
  }, PARENT_CHECK_MS).unref();
  // Printed once stopping works: whoever reads "Press Ctrl+C" may signal at once.
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error('latchkey-dev-idp failed to start:', error);
  process.exit(1);
});
