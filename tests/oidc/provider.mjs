// The campus identity provider of the sign-in tests: panva's oidc-provider (OpenID Certified), on 127.0.0.1.
//
// Started by tests/web/oidc_provider.py with its configuration in the environment:
//   MENKAN_TEST_OIDC_CLIENT    JSON of the one client (client_id, client_secret, redirect_uris, post_logout_redirect_uris)
//   MENKAN_TEST_OIDC_ACCOUNTS  JSON {accountId: extra claims}; any other login is an account with no extra claims
// It listens on a free port and prints one line of JSON, {"issuer": "http://127.0.0.1:PORT"}, once it answers.
// Sign-in uses the provider's own interaction pages (devInteractions: any login, any password), and consent is
// granted up front, as a university's IdP does for its own applications.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const client = JSON.parse(process.env.MENKAN_TEST_OIDC_CLIENT);
const accounts = JSON.parse(process.env.MENKAN_TEST_OIDC_ACCOUNTS || '{}');
const SCOPES = 'openid profile student';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'menkan-test', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [{ grant_types: ['authorization_code'], response_types: ['code'], ...client }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['menkan-test-oidc-cookies'] },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], student: ['student_id'] },
  scopes: ['openid', 'profile', 'student'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, accountId) {
    return {
      accountId,
      async claims() {
        return { sub: accountId, preferred_username: accountId, ...(accounts[accountId] || {}) };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
