import { resolve } from 'node:path';
import { DEV_OTP, defaultUsers } from '@latchkey/dev-idp';
import { startDemo } from './demo';

const demo = await startDemo(process.env);
for (const warning of demo.warnings) console.warn(warning);
console.log(`\nlatchkey demo running at ${demo.url}`);
console.log(`Identity provider: ${demo.issuer}`);
console.log(`API (for /api/*): ${demo.apiUrl}`);
if (demo.devIdp) {
  console.log('Demo users:');
  for (const user of defaultUsers) {
    const roles = Array.isArray(user.claims.roles) ? user.claims.roles.join(', ') : '';
    console.log(`  ${user.username} / ${user.password}   (roles: ${roles})`);
  }
  console.log(`One-time code for step-up: ${DEV_OTP}`);
}
if (demo.audit) {
  const file = resolve(demo.audit.file);
  console.log(`Audit log: ${file}; verify it (from the repository) with`);
  console.log(
    `  pnpm --filter @latchkey/demo-express exec latchkey-audit verify ${file} --public-key ${demo.audit.publicKey}`,
  );
}
if (demo.redis) {
  console.log(
    `Sessions and passkeys: Redis at ${demo.redis.host}, keys under '${demo.redis.prefix}'`,
  );
}
console.log('Press Ctrl+C to stop.');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void demo.stop().then(() => process.exit(0));
  });
}
