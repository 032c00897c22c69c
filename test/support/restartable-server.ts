/**
 * A test HTTP server that can stop (closing every connection at once, as a machine going away
 * would) and listen again on the same port, so the desk sees the same address come back.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Restartable {
  /** The port it listens on (the free one picked at the first start when `port` was 0). */
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function restartable(server: Server, host: string, port = 0, beforeStop: () => void = () => undefined): Restartable {
  let current = port;
  return {
    get port() {
      return current;
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        if (server.listening) return resolve();
        server.once('error', reject);
        server.listen(current, host, () => {
          server.off('error', reject);
          current = (server.address() as AddressInfo).port;
          resolve();
        });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        beforeStop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
