/** Where the sample tests find the demo lab that global-setup.ts started. */

/** Every timing of the lab's server and pages × this (1 = realistic). */
export const LAB_SCALE = 0.2;

/** The URL of a lab page in one of its modes (lab/catalog.ts), at the suite's time scale. */
export function labPage(page: string, mode: string, query: Record<string, string> = {}): string {
  const base = process.env.LAB_URL;
  if (!base) throw new Error('LAB_URL is not set: run the suite with its config (npx playwright test -c examples/playwright)');
  const params = new URLSearchParams({ mode, scale: String(LAB_SCALE), ...query });
  return `${base}/pages/${page}.html?${params}`;
}
