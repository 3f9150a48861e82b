import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; tokens, passwords and secrets never reach a line. */
export function createLogger(options: { level: string; process: string }): Logger {
  return pino({
    level: options.level,
    base: { process: options.process, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.password', '*.secret', 'token', 'password', 'secret'],
      censor: '[redacted]',
    },
  });
}
