import { Counter, Gauge, type Registry } from 'prom-client';

/** The price socket's metrics. */
export function fanoutMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'fanout_connections', help: 'Open price-socket connections', registers }),
    published: new Counter({ name: 'fanout_quotes_published_total', help: 'Conflated quotes published (once per symbol per window)', registers }),
    slowClosed: new Counter({ name: 'fanout_slow_closed_total', help: 'Connections closed with 4008 for staying behind', registers }),
    fellBehind: new Counter({ name: 'fanout_fell_behind_total', help: 'Times a connection fell behind and was conflated to latest', registers }),
    behind: new Gauge({ name: 'fanout_behind_connections', help: 'Connections conflated to latest because they are behind', registers }),
    maxBuffered: new Gauge({ name: 'fanout_max_buffered_bytes', help: 'Largest socket send buffer at the end of the last window', registers }),
    rejected: new Counter({ name: 'fanout_client_errors_total', help: 'Client messages answered with an error', labelNames: ['code'], registers }),
  };
}
