/**
 * BPC training gateway: a loopback HTTP server speaking the real BPC wire protocol (seed §2–3), used by
 * training mode and by integration tests. Start it with `startBpcSimulator`, point the real BPC client
 * at `sim.url`, and steer outcomes with scripts, faults and the trainer API under `sim.trainerUrl`.
 */
export { startBpcSimulator, parseBpcRequest, BPC_PAY_PATH, BPC_MAX_BODY, MAX_RECORDED_REQUESTS } from './server';
export { SIM_CODES, DEFAULT_QR_VALID_SECONDS, MAX_ORDERS, parseAmountFen } from './engine';
export { TRAINER_MAX_BODY } from './trainer';
export type {
  BpcPayType,
  BpcSimulator,
  BpcSimulatorOptions,
  Fault,
  FaultOptions,
  FaultTarget,
  NotifyPlan,
  NotifyResult,
  PaymentScript,
  RecordedRequest,
  RefundScript,
  SimOrder,
  SimOrderState,
  SimRefund,
  SimRefundState,
} from './types';
