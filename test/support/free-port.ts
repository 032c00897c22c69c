import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it, we release it and hand the
 * number to a server that cannot bind port 0 itself (Dovecot). Another process could take it in
 * between; on a test machine that race is rare enough to accept.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
