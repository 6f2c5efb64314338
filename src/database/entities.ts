import { ApiKeyEntity } from '../api-keys/api-key.entity.js';
import { HoldEntity } from '../holds/hold.entity.js';
import { IdempotencyKeyEntity } from '../common/idempotency/idempotency-key.entity.js';
import { EntryEntity } from '../transactions/entry.entity.js';
import { TransactionEntity } from '../transactions/transaction.entity.js';
import { WalletEntity } from '../wallets/wallet.entity.js';

export const ENTITIES = [ApiKeyEntity, WalletEntity, TransactionEntity, EntryEntity, HoldEntity, IdempotencyKeyEntity];
