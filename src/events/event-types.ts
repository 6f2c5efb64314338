/** Every type of event the service writes (the events table's CHECK names the same, in its migration). */
export const EVENT_TYPES = [
  'wallet.created',
  'wallet.updated',
  'transaction.posted',
  'hold.created',
  'hold.captured',
  'hold.voided',
  'hold.expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
