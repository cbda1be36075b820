/**
 * Starts the demo lab (lab/server.ts) for the sample suite, at time scale 0.2 so
 * that heartbeats and reconnects happen within seconds (engine.io pings every 5 s),
 * and tells the tests where it listens (LAB_URL, read by lab.ts).
 */
import { startLab } from '../../lab/server.ts';
import { LAB_SCALE } from './lab.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const lab = await startLab({ port: 0, scale: LAB_SCALE });
  process.env.LAB_URL = lab.url;
  return () => lab.close();
}
