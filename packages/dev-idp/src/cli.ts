#!/usr/bin/env node
import { parseCliArgs, USAGE } from './cli-args';
import { startDevIdp } from './dev-idp';
import { DEV_OTP } from './users';

/** Runs `latchkey-dev-idp`: starts the dev IdP, prints how to use it, stops on SIGINT/SIGTERM. */
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

  const idp = await startDevIdp(command.options);
  const [client] = command.options.clients;
  const lines = [
    `latchkey dev IdP running`,
    `  issuer:    ${idp.issuer}`,
    `  discovery: ${idp.issuer}/.well-known/openid-configuration`,
    `  client:    ${client?.client_id}${client?.client_secret === undefined ? ' (public, PKCE only)' : ''}`,
    '  users:',
    ...idp.users.map((user) => {
      const roles = Array.isArray(user.claims.roles) ? user.claims.roles.join(', ') : '';
      return `    ${user.username} / ${user.password}${roles ? `  (roles: ${roles})` : ''}`;
    }),
    `  one-time code for acr urn:latchkey:acr:mfa: ${DEV_OTP}`,
    'Press Ctrl+C to stop.',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nlatchkey dev IdP: ${signal}, stopping`);
    idp.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('latchkey-dev-idp failed to start:', error);
  process.exit(1);
});
