/**
 * The credentials of the Lambda bundles. esbuild.config.mjs builds every SDK client of a bundle with
 * this module in place of `@aws-sdk/credential-provider-node` (the default chain): Lambda gives a
 * function its execution role's credentials in the reserved environment variables AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (Lambda developer guide, "Defined runtime environment
 * variables"), which is the chain's first link. Its other links (SSO and INI profiles, web identity,
 * credential_process, container and instance metadata) can never answer in Lambda, yet bring the
 * STS, SSO and SSO-OIDC clients into every bundle: ~150 KB that each cold start compiles.
 *
 * Only the bundles use it: the simulator, tests and the CLI run the handlers from source with the
 * SDK's full chain.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** The name and shape the clients' runtime config imports from `@aws-sdk/credential-provider-node`. */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
