import { z } from 'zod';
import { isQueryableTime } from '../../../application/shared/value-ranges.ts';

/** A time in an Alpaca query (`after`, `until`, `start`, `end`, `date`): RFC 3339 or a date, years 0001–9999. */
export const alpacaTimestamp = z
  .string()
  .max(40)
  .refine((value) => isQueryableTime(Date.parse(value)), 'must be an RFC 3339 timestamp or a date (years 0001–9999)');
