// Types of the OAuth / OpenID Connect client and functions (issue 3), checked with
// tsc --strict against the installed package.
import {
  Client,
  calculatePKCECodeChallenge,
  createClientAssertion,
  createDPoPHandle,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  extractBearerToken,
  generateCodeVerifier,
  generateKeyPair,
  generateNonce,
  generateState,
  validateIdToken,
  validateJwtAccessToken,
  validateLogoutToken,
  wwwAuthenticate,
} from 'oidckit';
import type {
  AuthorizationTransaction,
  CallbackResult,
  ClientOptions,
  IDTokenClaims,
  TokenEndpointResponse,
  TokenValidationResult,
} from 'oidckit';

const verifier: string = generateCodeVerifier();
const challenge: string = calculatePKCECodeChallenge(verifier);
const values: string[] = [challenge, generateState(), generateNonce()];

const { privateKey } = generateKeyPair('RS256');
const options: ClientOptions = {
  clientId: 'c',
  clientSecret: 's',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUri: 'https://rp.example/cb',
  idTokenSignedResponseAlg: 'RS256',
  dpop: createDPoPHandle(generateKeyPair('ES256')),
  timeout: 5000,
  allowInsecureRequests: false,
  clockTolerance: '30s',
};
// @ts-expect-error unknown auth method
const bad: ClientOptions = { clientId: 'c', tokenEndpointAuthMethod: 'tls_client_auth' };

export async function flow(stored: string): Promise<string | undefined> {
  const client = await Client.discover('https://op.example', options, { timeout: 1000 });
  const tx: AuthorizationTransaction = client.authorizationRequest({ scope: 'openid profile', max_age: 300, claims: { userinfo: { email: null } } });
  sessionStorage.setItem('tx', JSON.stringify(tx));
  const restored = JSON.parse(stored) as AuthorizationTransaction;
  const { tokens, claims }: CallbackResult = await client.handleCallback(new URL(location.href), restored, { signal: AbortSignal.timeout(10) });
  const at: string = tokens.access_token;
  const sub: string | undefined = claims?.sub;
  const refreshed: CallbackResult = await client.refresh();
  const info = await client.userinfo<{ email?: string }>();
  const email: string | undefined = info.email;
  const infoSub: string = info.sub;
  const intro = await client.introspect(at, { tokenTypeHint: 'access_token' });
  const active: boolean = intro.active;
  await client.revoke(at);
  const cc: TokenEndpointResponse = await client.clientCredentials({ scope: 'system/*.read' });
  await client.password({ username: 'u', password: 'p' });
  await client.jwtBearer({ subject: 'alice', claims: { domain: 'acme' } });
  await client.grant('urn:ietf:params:oauth:grant-type:token-exchange', { subject_token: 't' });
  const par: AuthorizationTransaction = await client.pushedAuthorizationRequest({ scope: 'openid' });
  const logout: string = client.endSessionUrl({ state: 's' });
  const res: Response = await client.fetchProtectedResource('https://api.example/r', { tokenIn: 'header' });
  const registered: Client = await Client.register('https://op.example', { redirect_uris: ['https://rp.example/cb'] });
  const clientId: unknown = registered.registration?.client_id;
  void [bad, values, privateKey, refreshed, sub, email, infoSub, active, cc, par, logout, res, clientId];
  // @ts-expect-error handleCallback needs a transaction
  await client.handleCallback('https://rp.example/cb?code=x');
  return client.claims?.sub;
}

export async function rs(token: string, req: Request): Promise<string> {
  const local = createLocalJWKSet({ keys: [] });
  const r: TokenValidationResult<IDTokenClaims> = validateIdToken(token, local, { issuer: 'https://op.example', clientId: 'c', nonce: 'n' });
  const remote = createRemoteJWKSet('https://op.example/jwks');
  const p: TokenValidationResult<IDTokenClaims> = await validateIdToken(token, remote, { issuer: 'https://op.example', clientId: 'c' });
  const bearer: string | undefined = extractBearerToken(req);
  try {
    const { payload } = validateJwtAccessToken(bearer ?? '', local, { issuer: 'https://op.example', audience: 'https://api', requiredScopes: ['read'] });
    const lt = await validateLogoutToken(token, remote, { issuer: 'https://op.example', clientId: 'c' });
    return payload.client_id + lt.payload.jti + r.payload.sub + p.payload.iss;
  } catch (e) {
    if (e instanceof errors.ResponseBodyError) return e.error;
    return wwwAuthenticate({ error: e as Error, realm: 'api' });
  }
}

export const assertion: string = createClientAssertion({ clientId: 'c', audience: 'https://op.example/token', key: privateKey, alg: 'RS256', lifetime: 60 });
