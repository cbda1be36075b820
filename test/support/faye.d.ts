/** The slice of faye 1.4.3's Node API the tests use (the package ships no types; src/faye_node.js, src/adapters/node_adapter.js). */
declare module 'faye' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';
  import type { Duplex } from 'node:stream';

  export interface FayeClient {
    publish(channel: string, data: unknown): Promise<unknown>;
  }

  export class NodeAdapter {
    /** timeout: seconds a /meta/connect is held (src/engines/proxy.js TIMEOUT 60). */
    constructor(options: { mount?: string; timeout?: number; ping?: number });
    attach(server: Server): void;
    handle(request: IncomingMessage, response: ServerResponse): void;
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
    getClient(): FayeClient;
    on(event: string, listener: (...args: unknown[]) => void): void;
    close(): void;
  }

  const faye: { NodeAdapter: typeof NodeAdapter };
  export default faye;
}
