import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server that records JSON POSTs, standing in for PIPELINE_NOTIFY_WEBHOOK_URL. */
export async function webhookReceiver(): Promise<{
  url: string;
  events: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const events: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        events.push(JSON.parse(body));
      } catch {
        events.push({ unparsable: body });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
