import { ApiKeyEntity } from './auth/api-key.entity.js';
import { FxQuoteEntity } from './fx/fx-quote.entity.js';
import { FxRateEntity } from './fx/fx-rate.entity.js';
import { HoldEntity } from './ledger/model/hold.entity.js';
import { IdempotencyKeyEntity } from './ledger/model/idempotency-key.entity.js';
import { EntryEntity } from './ledger/model/entry.entity.js';
import { TransactionEntity } from './ledger/model/transaction.entity.js';
import { WalletEntity } from './wallets/wallet.entity.js';

export const ENTITIES = [ApiKeyEntity, WalletEntity, TransactionEntity, EntryEntity, HoldEntity, IdempotencyKeyEntity, FxRateEntity, FxQuoteEntity];
