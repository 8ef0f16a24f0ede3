// A real OpenID Connect provider (panva's oidc-provider, the certified Node.js implementation)
// for the external-login journey: `node oidc-provider.mjs PORT REDIRECT_URI`. Its people are
// the accounts below; the login and consent screens are answered at once for the account chosen
// with `POST /test/next-account?sub=...` (the person "typing" their DigiD), so a browser can
// walk the whole flow. Prints "ready" when it listens.
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const accounts = {
  // An Opstap account's address, verified by the provider: linked at the first login.
  "digid-000000001": { email: "kandidaat1@lochem.demo", email_verified: true },
  // The same address, but the provider does not vouch for it: never linked.
  "digid-000000002": { email: "kandidaat2@lochem.demo", email_verified: false },
  // Nobody Opstap knows.
  "digid-000000003": { email: "onbekend@voorbeeld.nl", email_verified: true },
};
let next = "digid-000000001";

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "opstap",
      client_secret: "geheim-van-de-test-geheim-van-de-test",
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  // The e-mail claims in the ID token itself (not only at the userinfo endpoint).
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) =>
    accounts[sub] ? { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) } : undefined,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ["cookie-key-of-the-test"] },
});

provider.use(async (ctx, nextMw) => {
  if (ctx.method === "POST" && ctx.path === "/test/next-account") {
    next = ctx.query.sub;
    ctx.body = { next };
    return;
  }
  if (ctx.path.startsWith("/interaction/")) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === "login") {
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: next } }, { mergeWithLastSubmission: false });
    } else {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    ctx.respond = false;
    return;
  }
  await nextMw();
});

provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
