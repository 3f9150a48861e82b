import { accountOrderIndexProjection } from './account-order-index/account-order-index-projection.ts';
import { apiKeysProjection } from './api-keys/api-keys-projection.ts';
import { accountActivitiesProjection } from './account-activities/account-activities-projection.ts';
import { accountsProjection } from './accounts/accounts-projection.ts';
import { holdsProjection } from './holds/holds-projection.ts';
import { externalOrderIndexProjection } from './external-order-index/external-order-index-projection.ts';
import { ordersProjection } from './orders/orders-projection.ts';
import { positionsProjection } from './positions/positions-projection.ts';
import type { RowProjection } from './row-projection.ts';

/** Every read model the projector keeps, in the order it applies them. */
export const ALL_PROJECTIONS: readonly RowProjection[] = [
  ordersProjection,
  accountsProjection,
  positionsProjection,
  accountActivitiesProjection,
  externalOrderIndexProjection,
  accountOrderIndexProjection,
  apiKeysProjection,
  holdsProjection,
] as unknown as readonly RowProjection[];
