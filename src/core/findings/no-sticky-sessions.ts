import type { FindingRule } from './types.ts';
import { plainRequests } from '../classify/http-cycles.ts';

/**
 * engine.io 6.6 build/server.js: an unknown `sid` is answered 400
 * {"code":1,"message":"Session ID unknown"}; SockJS and SignalR answer 404 for
 * an unknown session. Behind a load balancer without sticky sessions the
 * polling requests of one session land on servers that never saw it.
 */
const UNKNOWN_SESSION = /Session ID unknown|"code"\s*:\s*1\b|No Connection with that ID|session.*(unknown|not found)/i;

export const noStickySessions: FindingRule = {
  code: 'no-sticky-sessions',
  title: 'Session unknown to the server (no sticky sessions?)',
  severity: 'error',
  description: 'The primer: WebSockets and session-based transports "Need sticky sessions" behind load balancers.',
  check({ ctx }) {
    const rejected = plainRequests(ctx).filter(
      (r) => r.status !== null && (r.status === 400 || r.status === 404) && r.body !== null && UNKNOWN_SESSION.test(r.body.data),
    );
    if (rejected.length === 0) return null;
    return {
      severity: 'error',
      code: this.code,
      message: `${rejected.length} polling request${rejected.length === 1 ? ' was' : 's were'} rejected as an unknown session: requests of one session reach different servers.`,
      evidence: { rejected: rejected.length, status: rejected[0]!.status },
      advice: 'Enable sticky sessions (session affinity) on the load balancer, or use the WebSocket transport only so one connection stays on one server.',
    };
  },
};
