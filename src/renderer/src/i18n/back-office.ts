/**
 * The back-office screens' texts (refund desk, transactions, end of day, settings, receipts, Yima, headquarters).
 * Imported by those screens, which load lazily: the cashier page and the customer display start
 * without them (issue 9.17). Importing this module registers them; nothing else is needed.
 */
import { cashEn, cashZh } from './cash';
import { deskEn, deskZh } from './desk';
import { hqEn, hqZh } from './hq';
import { registerMessages } from './index';
import { manageEn, manageZh } from './manage';
import { receiptsEn, receiptsZh } from './receipts';
import { yimaEn, yimaZh } from './yima';

registerMessages(
  { ...deskZh, ...manageZh, ...receiptsZh, ...yimaZh, ...cashZh, ...hqZh },
  { ...deskEn, ...manageEn, ...receiptsEn, ...yimaEn, ...cashEn, ...hqEn },
);
