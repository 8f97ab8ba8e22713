/**
 * The part of `oidc-provider` 9 that the dev IdP uses. The package ships no
 * type declarations, so these are written from its source (lib/provider.js,
 * lib/helpers/oidc_context.js, lib/models/*, lib/helpers/interaction_policy/*).
 */
declare module 'oidc-provider' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** One stored artefact, as the storage adapter sees it. */
  export type AdapterPayload = Record<string, unknown> & {
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number;
  };

  /** Storage used by every model of one kind (`Session`, `Grant`, `AccessToken`, ...). */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Grant {
    readonly jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(): Promise<string>;
  }

  export interface GrantModel {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface Client {
    clientId: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface Session {
    accountId?: string;
    acr?: string;
    amr?: string[];
    loginTs?: number;
    grantIdFor(clientId: string): string | undefined;
  }

  /** Authentication facts carried by codes and refresh tokens. */
  export interface AuthenticatedArtifact {
    accountId?: string;
    acr?: string;
    amr?: string[];
    authTime?: number;
    scopes?: Set<string>;
  }

  export interface OIDCContext {
    params: Record<string, unknown>;
    session: Session;
    client: Client;
    provider: Provider;
    result?: { consent?: { grantId?: string } } & Record<string, unknown>;
    entities: Record<string, AuthenticatedArtifact | undefined>;
    requestParamOIDCScopes: Set<string>;
    requestParamClaims: Set<string>;
    resourceServers: Record<string, { scope?: string }>;
    route: string;
  }

  /** The Koa context with oidc-provider's additions. */
  export interface KoaContextWithOIDC {
    oidc: OIDCContext;
    host: string;
    status: number;
    type: string;
    body: unknown;
  }

  /** A token about to be issued, as `extraTokenClaims` and `issueRefreshToken` see it. */
  export interface IssuedToken {
    kind: string;
    accountId?: string;
    scopes: Set<string>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string; acr?: string; amr?: string[]; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: string[]; ts?: number; remember?: boolean };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    readonly Grant: GrantModel;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    urlFor(name: string, options?: Record<string, unknown>): string;
  }

  export default Provider;

  export namespace errors {
    class OIDCProviderError extends Error {
      error: string;
      error_description?: string;
      status: number;
      statusCode: number;
      expose: boolean;
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string, detail?: string);
    }
    class SessionNotFound extends OIDCProviderError {
      constructor(description?: string);
    }
  }

  export namespace interactionPolicy {
    type CheckFunction = (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>;
    class Check {
      static readonly REQUEST_PROMPT: true;
      static readonly NO_NEED_TO_PROMPT: false;
      constructor(reason: string, description: string, check: CheckFunction);
      constructor(reason: string, description: string, error: string, check: CheckFunction);
      readonly reason: string;
    }
    interface Prompt {
      readonly name: string;
      readonly requestable: boolean;
      readonly checks: Check[] & { get(reason: string): Check | undefined };
    }
    type Policy = Prompt[] & { get(name: string): Prompt | undefined };
    function base(): Policy;
  }
}
