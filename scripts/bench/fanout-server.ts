import { freePort, ServiceProcess } from './service-process.ts';

export interface FanoutServerSettings {
  readonly transport: 'uws' | 'ws';
  readonly jwtSecret: string;
  readonly brokers: string;
  readonly universeSize: number;
  readonly universeSeed: number;
  /** KAFKA_TOPIC_PREFIX of the run (the default topics when absent). */
  readonly topicPrefix?: string;
  /** Shown in the benchmark's output. */
  readonly name?: string;
  /** Added to the process's environment (REDIS_KEY_PREFIX, …). */
  readonly env?: Record<string, string>;
}

/** One `trading-core fanout` process and the ports it serves. */
export interface FanoutServer extends ServiceProcess {
  readonly streamPort: number;
  readonly metricsPort: number;
}

export async function startFanoutServer(settings: FanoutServerSettings): Promise<FanoutServer> {
  const [streamPort, metricsPort] = [await freePort(), await freePort()];
  const service = await ServiceProcess.start({
    name: settings.name ?? 'fanout',
    args: ['fanout'],
    env: {
      ...settings.env,
      STREAM_PORT: String(streamPort),
      METRICS_PORT: String(metricsPort),
      JWT_SECRET: settings.jwtSecret,
      KAFKA_BROKERS: settings.brokers,
      KAFKA_TOPIC_PREFIX: settings.topicPrefix ?? '',
      FANOUT_TRANSPORT: settings.transport,
      UNIVERSE_SIZE: String(settings.universeSize),
      UNIVERSE_SEED: String(settings.universeSeed),
    },
    readyUrl: `http://127.0.0.1:${metricsPort}/readyz`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  });
  return Object.assign(service, { streamPort, metricsPort });
}
