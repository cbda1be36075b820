/**
 * Chart colours, read from the panel's CSS variables so charts follow the theme.
 */
export interface Palette {
  text: string;
  grid: string;
  axis: string;
  inbound: string;
  outbound: string;
  useful: string;
  wasted: string;
  error: string;
  heartbeat: string;
  reconnect: string;
  gap: string;
  accent: string;
  reference: string;
  threshold: string;
}

const DEFAULTS: Palette = {
  text: '#303942',
  grid: 'rgba(0,0,0,0.08)',
  axis: '#5f6368',
  inbound: '#1a73e8',
  outbound: '#188038',
  useful: '#1a73e8',
  wasted: '#e37400',
  error: '#d93025',
  heartbeat: '#9334e6',
  reconnect: '#d93025',
  gap: 'rgba(227,116,0,0.15)',
  accent: '#1a73e8',
  reference: '#80868b',
  threshold: '#d93025',
};

/** Resolve the palette from `--chart-*` CSS variables on `el`, falling back to the light defaults. */
export function readPalette(el: Element | null): Palette {
  if (!el || typeof getComputedStyle !== 'function') return DEFAULTS;
  const style = getComputedStyle(el);
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof Palette>) {
    const v = style.getPropertyValue(`--chart-${key}`).trim();
    if (v) out[key] = v;
  }
  return out;
}
