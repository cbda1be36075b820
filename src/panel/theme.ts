/**
 * Light/dark theme: DevTools' own theme when running as a DevTools panel,
 * else a ?theme= parameter (tests, screenshots), else the OS preference.
 */
export type Theme = 'light' | 'dark';

/** Pick the theme for this panel instance. */
export function detectTheme(search: string, devtoolsThemeName: string | undefined, prefersDark: boolean): Theme {
  const param = new URLSearchParams(search).get('theme');
  if (param === 'dark' || param === 'light') return param;
  if (devtoolsThemeName) return devtoolsThemeName === 'dark' ? 'dark' : 'light';
  return prefersDark ? 'dark' : 'light';
}

/** Apply the theme to the document root (CSS variables switch on data-theme). */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}
