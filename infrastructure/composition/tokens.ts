/** Injection tokens of the composition root. Application code receives ports, never the container. */
export const TOKENS = {
  Config: Symbol('Config'),
  Logger: Symbol('Logger'),
  Metrics: Symbol('Metrics'),
  Clock: Symbol('Clock'),
  EventStore: Symbol('EventStore'),
  ReadModelDb: Symbol('ReadModelDb'),
  CommandHandler: Symbol('CommandHandler'),
  Market: Symbol('Market'),
  ReadModelQueries: Symbol('ReadModelQueries'),
  ProjectionProgress: Symbol('ProjectionProgress'),
  TradingDependencies: Symbol('TradingDependencies'),
  ReadinessChecks: Symbol('ReadinessChecks'),
  ExchangeStatus: Symbol('ExchangeStatus'),
  OnStep: Symbol('OnStep'),
  Redis: Symbol('Redis'),
  LatestQuotes: Symbol('LatestQuotes'),
} as const;
