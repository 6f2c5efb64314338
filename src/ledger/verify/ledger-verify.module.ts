import { Module } from '@nestjs/common';
import { LedgerAdminController } from './ledger-admin.controller.js';
import { LedgerVerifier } from './ledger-verifier.js';

/** The ledger self-check: GET /v1/admin/ledger/verify (the same verifier backs `npm run ledger:verify`). */
@Module({
  controllers: [LedgerAdminController],
  providers: [LedgerVerifier],
  exports: [LedgerVerifier],
})
export class LedgerVerifyModule {}
