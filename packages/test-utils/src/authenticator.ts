/**
 * A software authenticator for tests: a real P-256 key, real authenticator data and real ES256
 * signatures, so the ceremonies are verified by SimpleWebAuthn exactly as a browser's would be. Each
 * ceremony takes `Tamper` fields to play a broken or hostile client.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** Authenticator data flags (WebAuthn §6.1). */
const FLAGS = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 } as const;

/** What a test may change in one ceremony, to play a broken or hostile client. */
export interface Tamper {
  /** The origin the "browser" writes into clientDataJSON. Default: the authenticator's. */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data. Default: the options' `rpId`. */
  rpID?: string;
  /** The challenge signed. Default: the options'. */
  challenge?: string;
  /** The user-verified flag. Default true. */
  uv?: boolean;
  /** The signature counter reported. Default: the next count (0 for a synced passkey). */
  counter?: number;
  /** Registration: the credential id to create. Default 32 random bytes. */
  credentialId?: Uint8Array;
  /** Authentication: the credential to use (base64url). Default: the first allowed, or the first held. */
  useCredential?: string;
  /** Authentication: the user handle returned; null omits it. Default: the one stored with the key. */
  userHandle?: string | null;
  /** Authentication: sign with a key that is not the credential's. */
  signWithOtherKey?: boolean;
}

interface HeldCredential {
  id: Uint8Array;
  privateKey: KeyObject;
  rpID: string;
  userHandle: string;
  count: number;
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Options of {@link SoftwareAuthenticator}. */
export interface SoftwareAuthenticatorOptions {
  /** The origin of the page the ceremonies run in, e.g. `https://app.example.com`. */
  origin: string;
  /** A synced passkey provider: backup eligible and backed up, and its counter always 0. */
  synced?: boolean;
  /** The AAGUID it reports. Default: 16 fixed bytes. */
  aaguid?: Uint8Array;
}

export class SoftwareAuthenticator {
  readonly held: HeldCredential[] = [];
  private readonly origin: string;
  private readonly synced: boolean;
  private readonly aaguid: Uint8Array;

  constructor(options: SoftwareAuthenticatorOptions) {
    this.origin = options.origin;
    this.synced = options.synced ?? false;
    this.aaguid = options.aaguid ?? Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  }

  /** `navigator.credentials.create()` answered, as `@simplewebauthn/browser` sends it. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    tamper: Tamper = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    // RFC 9053 (COSE): an EC2 key, alg ES256 (-7), curve P-256 (1).
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = tamper.credentialId ?? randomBytes(32);
    const rpID = tamper.rpID ?? options.rp.id!;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      this.authenticatorDataHead(rpID, FLAGS.at, tamper, 0),
      this.aaguid,
      idLength,
      id,
      cosePublicKey,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<number, number> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<number, number>()],
        ['authData', authData],
      ]),
    );
    this.held.push({ id, privateKey, rpID, userHandle: options.user.id, count: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, tamper),
        attestationObject: b64url(attestationObject),
        transports: ['internal', 'hybrid'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** `navigator.credentials.get()` answered, as `@simplewebauthn/browser` sends it. */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    tamper: Tamper = {},
  ): AuthenticationResponseJSON {
    const allowed = options.allowCredentials?.map((c) => c.id);
    const wanted = tamper.useCredential;
    const credential = this.held.find((held) =>
      wanted
        ? b64url(held.id) === wanted
        : allowed?.length
          ? allowed.includes(b64url(held.id))
          : held.rpID === options.rpId,
    );
    if (!credential) throw new Error('The software authenticator holds no matching credential.');
    if (!this.synced) credential.count += 1;
    const count = tamper.counter ?? (this.synced ? 0 : credential.count);
    const authData = this.authenticatorDataHead(tamper.rpID ?? options.rpId!, 0, tamper, count);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tamper);
    // WebAuthn §6.3.3: the signature covers authenticatorData || SHA-256(clientDataJSON), ES256 in DER.
    const signed = Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]);
    const key = tamper.signWithOtherKey
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : credential.privateKey;
    const userHandle = tamper.userHandle === undefined ? credential.userHandle : tamper.userHandle;
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: b64url(authData),
        signature: b64url(sign('sha256', signed, key)),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** rpIdHash, flags and signCount (WebAuthn §6.1). */
  private authenticatorDataHead(rpID: string, extraFlags: number, tamper: Tamper, count: number) {
    let flags = FLAGS.up | extraFlags;
    if (tamper.uv ?? true) flags |= FLAGS.uv;
    if (this.synced) flags |= FLAGS.be | FLAGS.bs;
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(tamper.counter ?? count);
    return Buffer.concat([sha256(rpID), Buffer.of(flags), signCount]);
  }

  private clientData(type: string, challenge: string, tamper: Tamper): string {
    return b64url(
      JSON.stringify({
        type,
        challenge: tamper.challenge ?? challenge,
        origin: tamper.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }
}
