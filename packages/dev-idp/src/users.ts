/** Authentication context class for a password sign-in (the lower level). */
export const ACR_PWD = 'urn:latchkey:acr:pwd';

/** Authentication context class for password plus one-time code (the higher level). */
export const ACR_MFA = 'urn:latchkey:acr:mfa';

/** The one-time code the dev IdP accepts at the `urn:latchkey:acr:mfa` step. It is shown on the page. */
export const DEV_OTP = '123456';

/** The acr values of the dev IdP, lowest first. */
export const ACR_LEVELS: readonly string[] = [ACR_PWD, ACR_MFA];

/** A user of the dev IdP. */
export interface DevIdpUser {
  /** What the user types in the sign-in form. */
  username: string;
  /** The user's password, compared as is. */
  password: string;
  /** Stable subject identifier (`sub`). */
  sub: string;
  /**
   * Claims released about the user: `name`, `email`, `email_verified`,
   * `preferred_username`, `roles`, ... Which ones land in a token depends on the
   * granted scopes (see the package README).
   */
  claims: Record<string, unknown>;
}

/** The demo users: `alice` (roles `admin`, `viewer`) and `bob` (role `viewer`). */
export const defaultUsers: DevIdpUser[] = [
  {
    username: 'alice',
    password: 'alice-password',
    sub: 'usr_alice',
    claims: {
      name: 'Alice Example',
      given_name: 'Alice',
      family_name: 'Example',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      roles: ['admin', 'viewer'],
    },
  },
  {
    username: 'bob',
    password: 'bob-password',
    sub: 'usr_bob',
    claims: {
      name: 'Bob Example',
      given_name: 'Bob',
      family_name: 'Example',
      preferred_username: 'bob',
      email: 'bob@example.com',
      email_verified: true,
      roles: ['viewer'],
    },
  },
];
