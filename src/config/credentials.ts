// URLs in the config and the environment may carry credentials (REDIS_URL's password,
// SMTP_URL's login, a feed or webhook behind HTTP Basic auth as https://user:password@host/).
// They are used, never shown: every log line and every error message goes through
// redactCredentials, which masks a URL's user info wherever it appears in a text. The user name
// stays when a password follows it (it tells which account); a lone user info part is masked
// whole, as it is often a token.

/** scheme://userinfo@ — userinfo up to the last "@" before the host, as unencoded "@"s occur. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>@]*(?:@[^\s/?#"'<>@]*)*)@/gi;

export const MASK = '***';

/** The text with the user info of every URL in it masked. */
export function redactCredentials(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(USERINFO, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}` : MASK}@`;
  });
}

/**
 * An http(s) URL's user info as an HTTP Basic `authorization` header, and the URL without it
 * (fetch refuses URLs that carry credentials).
 */
export function basicAuth(url: URL): { url: URL; authorization?: string } {
  if (!url.username && !url.password) return { url };
  const plain = new URL(url);
  plain.username = '';
  plain.password = '';
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { url: plain, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}
