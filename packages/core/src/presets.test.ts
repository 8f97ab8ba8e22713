import { describe, expect, it } from 'vitest';
import { idpPresets } from './presets';

describe('IdP presets', () => {
  it('Auth0: asks for the API with audience and reads the namespaced roles claim', () => {
    const preset = idpPresets.auth0({
      rolesClaim: 'https://app.example.com/roles',
      audience: 'https://api.example.com',
    });
    expect(preset.authorizationParams).toEqual({ audience: 'https://api.example.com' });
    expect(preset.roles!({ 'https://app.example.com/roles': ['admin'] })).toEqual(['admin']);
  });

  it('Entra ID: the .default scope, and step-up through the claims request for acrs', () => {
    const preset = idpPresets.entra({
      apiScope: 'api://1234/.default',
      authenticationContexts: ['c1'],
    });
    expect(preset.scopes).toContain('api://1234/.default');
    expect(JSON.parse(preset.stepUpParams!({ acr: 'c1' }).claims!)).toEqual({
      id_token: { acrs: { essential: true, value: 'c1' } },
    });
  });

  it('Okta asks for groups; Google asks for offline access', () => {
    expect(idpPresets.okta().scopes).toContain('groups');
    expect(idpPresets.google({ domains: {} }).authorizationParams).toMatchObject({
      access_type: 'offline',
    });
  });
});
