/** How the Playwright entry's options name channels and connections by URL. */

/** A URL test: a substring, or a RegExp. */
export type UrlMatcher = string | RegExp;

/** Does `url` pass `matcher` (a RegExp's lastIndex is reset, so /g and /y patterns behave)? */
export function urlMatches(url: string, matcher: UrlMatcher): boolean {
  if (typeof matcher === 'string') return url.includes(matcher);
  matcher.lastIndex = 0;
  return matcher.test(url);
}

/** The matcher in words: `containing "…"` or `matching /…/`. */
export function describeUrl(matcher: UrlMatcher): string {
  return typeof matcher === 'string' ? `containing ${JSON.stringify(matcher)}` : `matching ${String(matcher)}`;
}
