// The usual setting of a console test: an SMTP sink as next hop for example.com, a gateway in
// front of it and an administrator logged on to its console.
import { startGateway, type GatewayOptions, type TestGateway } from './gateway.js';
import { startSink, type Sink } from './sink.js';
import { firstLogon, type ConsoleClient } from './console.js';

export interface ConsoleGateway {
  sink: Sink;
  gw: TestGateway;
  admin: ConsoleClient;
  stop(): Promise<void>;
}

/**
 * Starts a sink, then a gateway relaying example.com to it (plus `extra` settings, given the
 * sink's port), then sets the administrator password on the console and logs on.
 */
export async function startConsoleGateway(
  password: string,
  o: Omit<GatewayOptions, 'settings'> & { settings?: (sinkPort: number) => Record<string, unknown> } = {},
): Promise<ConsoleGateway> {
  const sink = await startSink();
  let gw: TestGateway | undefined;
  try {
    gw = await startGateway({
      ...o,
      settings: {
        domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
        ...o.settings?.(sink.port),
      },
    });
    const admin = await firstLogon(gw, password);
    const started = gw;
    return {
      sink,
      gw: started,
      admin,
      async stop() {
        await started.stop();
        await sink.close();
      },
    };
  } catch (e) {
    await gw?.stop();
    await sink.close();
    throw e;
  }
}
