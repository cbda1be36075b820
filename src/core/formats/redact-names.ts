/**
 * What counts as a credential, by name (headers, query and form parameters,
 * JSON keys, text fields) and by shape (JWTs, well-known token formats,
 * token-like WebSocket subprotocols). Used by the redaction of exports
 * (redact.ts, redact-text.ts).
 */

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'set-cookie2',
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
  'x-goog-api-key',
]);

/** Header names that look like credentials even when not listed: *-token, *-secret, *-key, *-signature, *-session... */
const CREDENTIAL_HEADER_PATTERN = /(^|-)(token|secret|api-?key|key|signature|session|password|passcode|auth|credentials?)$/i;

/** Headers whose names match the pattern but carry no secret: the handshake nonce and its answer (RFC 6455 §4.1, §4.2.2). */
const NOT_CREDENTIAL_HEADERS = new Set(['sec-websocket-key', 'sec-websocket-accept']);

/** Query parameter, form field and JSON key names that carry credentials. */
const CREDENTIAL_NAME_PATTERN =
  /^(.*[-_.])?(token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth|authorization|key|api[-_]?key|apikey|sig|signature|password|passwd|pwd|pass|passcode|passphrase|secret|client[-_]?secret|jwt|bearer|cred|creds|session|session[-_]?id|sessionid|jsessionid|phpsessid|credential|credentials|otp|totp|ticket|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature)$/i;

/** True when a header's value is a credential. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return !NOT_CREDENTIAL_HEADERS.has(lower) && (CREDENTIAL_HEADERS.has(lower) || CREDENTIAL_HEADER_PATTERN.test(lower));
}

/** Answers for names seen so far: a capture repeats the same few hundred parameter names and JSON keys everywhere. */
function memo(test: (name: string) => boolean): (name: string) => boolean {
  const answers = new Map<string, boolean>();
  return (name) => {
    let answer = answers.get(name);
    if (answer === undefined) {
      answer = test(name);
      if (answers.size >= 10_000) answers.clear();
      answers.set(name, answer);
    }
    return answer;
  };
}

/** True when a query parameter or JSON key of this name carries a credential (a list of them too: `tokens`, `refreshTokens`). */
export const isCredentialName = memo((name) => {
  // camelCase names (authToken, apiKey, sessionId) split like snake_case ones.
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return CREDENTIAL_NAME_PATTERN.test(words) || (/[^s]s$/i.test(words) && CREDENTIAL_NAME_PATTERN.test(words.slice(0, -1)));
});

/** JSON keys are redacted by the same names, except the generic `key`, `sig` and `session` that payloads use for other things. */
export const isCredentialJsonKey = memo(
  (name) => isCredentialName(name) && !/^(key|sig|session)s?$/i.test(name) && !NOT_CREDENTIAL_HEADERS.has(name.toLowerCase()),
);

/**
 * A JSON Web Token (RFC 7519): base64url header that starts with `{"` (`eyJ`),
 * payload, signature (empty for alg none).
 */
export const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * Token formats that name themselves, found anywhere in text: GitHub (ghp_, gho_, ghu_, ghs_,
 * ghr_ and github_pat_; docs.github.com "About authentication: GitHub's token formats"), Slack
 * (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-; api.slack.com "Token types"), Stripe secret and
 * restricted keys (sk_live_, rk_live_, sk_test_, rk_test_; stripe.com/docs/keys), Google API
 * keys (AIza + 35; cloud.google.com "API keys"), AWS access key ids (AKIA/ASIA + 16; AWS IAM
 * "Understanding unique ID prefixes"), npm (npm_ + 36).
 */
export const NAMED_TOKEN =
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{35}|(?:AKIA|ASIA)[0-9A-Z]{16}|npm_[A-Za-z0-9]{36})\b/g;

/** Kubernetes passes a bearer token as a subprotocol with this prefix (apiserver, k8s.io/apiserver pkg/authentication/request/websocket). */
const K8S_BEARER_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

/** True when a string has the look of a random token: long, with letters and digits, mixed case or many digits, no spaces. */
export function looksLikeToken(value: string): boolean {
  if (value.length < 16 || !/^[A-Za-z0-9._~+/=-]+$/.test(value)) return false;
  const digits = value.replace(/[^0-9]/g, '').length;
  const letters = /[A-Za-z]/.test(value);
  return letters && (digits >= 3 || (digits >= 1 && /[a-z]/.test(value) && /[A-Z]/.test(value)));
}

/**
 * A WebSocket subprotocol with a credential redacted (unchanged when it has none). Subprotocol
 * names are short words (`graphql-transport-ws`, `v12.stomp`, `actioncable-v1-json`,
 * `wamp.2.json`); apps that cannot set headers on a browser WebSocket send a token as an extra
 * "protocol" instead (Hasura and graphql-ws setups, Kubernetes, Supabase), which shows as a JWT
 * or a long random token.
 */
export function redactSubprotocol(protocol: string): string {
  if (protocol.startsWith(K8S_BEARER_PROTOCOL) && protocol.length > K8S_BEARER_PROTOCOL.length) return K8S_BEARER_PROTOCOL + REDACTED;
  JWT.lastIndex = 0;
  return JWT.test(protocol) || looksLikeToken(protocol) ? REDACTED : protocol;
}

/** The secret part of a subprotocol that redactSubprotocol would replace (for collecting it), or null. */
export function subprotocolSecret(protocol: string): string | null {
  const redacted = redactSubprotocol(protocol);
  if (redacted === protocol) return null;
  return redacted === REDACTED ? protocol : protocol.slice(K8S_BEARER_PROTOCOL.length);
}
