/**
 * The IPC contract, written once. Every channel the renderer may call and every event the host may
 * push is declared here with its schemas; the preload API, the main/web handlers and the renderer
 * client are all derived from it (see ./types.ts). A channel without a handler does not compile.
 *
 * `access` says which windows may call a channel: the cashier window may call everything it lists,
 * the customer display only the read-only channels marked `display`.
 */
import { z } from 'zod';
import { FenSchema, PaymentViewSchema, PayTypeSchema, RefundViewSchema, TrainingScriptSchema } from '../domain';

export type WindowRole = 'cashier' | 'display';

export interface ChannelSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly access: readonly WindowRole[];
  readonly summary: string;
}

function channel<I extends z.ZodType, O extends z.ZodType>(spec: ChannelSpec<I, O>): ChannelSpec<I, O> {
  return spec;
}

const NoInput = z.undefined();

export const AppModeSchema = z.enum(['training', 'live']);

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  mode: AppModeSchema,
  /** Where the ledger and settings live. */
  dataDir: z.string(),
  /** `electron` for the desktop app, `web` for browser mode. */
  platform: z.enum(['electron', 'web']),
  /** Why the app is in training mode, when it is (e.g. no merchant configured). */
  modeReason: z.string(),
  /** The last provisioning/config error, if the file could not be applied (the app kept its mode). */
  configError: z.string().nullable(),
});

export const HealthStatusSchema = z.enum(['ok', 'error', 'unreachable', 'not_configured', 'disconnected']);

export const HealthItemSchema = z.object({
  name: z.string(),
  status: HealthStatusSchema,
  detail: z.string(),
  latencyMs: z.number().int().nonnegative().optional(),
});

export const HealthSchema = z.object({
  checkedAt: z.string(),
  ledger: z.object({
    status: HealthStatusSchema,
    detail: z.string(),
    path: z.string(),
    schemaVersion: z.number().int(),
  }),
  gateways: z.array(HealthItemSchema),
  devices: z.array(HealthItemSchema),
});

export const channels = {
  'app:info': channel({
    input: NoInput,
    output: AppInfoSchema,
    access: ['cashier', 'display'],
    summary: 'Name, version, mode and data directory, from the core.',
  }),
  'app:health': channel({
    input: NoInput,
    output: HealthSchema,
    access: ['cashier'],
    summary: 'Ledger, gateways and devices as they really are; "not_configured" where nothing is.',
  }),
  'payment:create': channel({
    input: z
      .object({
        amountFen: FenSchema,
        merOrderNo: z.string().trim().max(32).regex(/^[0-9A-Za-z_-]*$/, 'letters, digits, _ and - only').optional(),
        memo: z.string().trim().max(64).optional(),
        payType: PayTypeSchema.optional(),
      })
      .strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Start a QR sale: intent written, F sent, QR returned (or a clear failure).',
  }),
  'payment:cancel': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Close the order at the gateway (S) and query once more; may end paid if the payment landed.',
  }),
  'payment:get': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'One payment as the ledger has it.',
  }),
  'payment:current': channel({
    input: NoInput,
    output: z.object({ payment: PaymentViewSchema.nullable(), now: z.number() }),
    access: ['cashier', 'display'],
    summary: 'The newest payment of the current mode (what the checkout and the customer display show after a reload).',
  }),
  'payment:requery': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Query the gateway now for an unfinished payment.',
  }),
  'payment:resolve': channel({
    input: z
      .object({
        id: z.number().int().positive(),
        outcome: z.enum(['paid', 'failed']),
        reason: z.string().trim().min(2).max(200),
        supervisor: z.object({ code: z.string().trim().min(1).max(16), pin: z.string().regex(/^\d{4,8}$/, '4–8 digits') }).strict(),
      })
      .strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Supervisor settles a payment left 状态未明, with a reason (recorded).',
  }),
  'training:state': channel({
    input: NoInput,
    output: z.object({ active: z.boolean(), nextScript: TrainingScriptSchema, simulatorUrl: z.string().nullable() }),
    access: ['cashier'],
    summary: 'The trainer control: what the next training payment will do.',
  }),
  'training:script': channel({
    input: z.object({ script: TrainingScriptSchema }).strict(),
    output: z.object({ active: z.boolean(), nextScript: TrainingScriptSchema, simulatorUrl: z.string().nullable() }),
    access: ['cashier'],
    summary: 'Choose what the next training payment does (succeed, fail, hang, go unknown, duplicate notifications…).',
  }),
  'training:pay': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: z.object({ paid: z.boolean() }),
    access: ['cashier'],
    summary: 'Training only: the simulated customer pays this payment now (at the simulated bank; the app still learns it by querying).',
  }),
} as const;

export const events = {
  'app:mode': AppInfoSchema,
  'payment:updated': PaymentViewSchema,
  'refund:updated': RefundViewSchema,
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type Events = typeof events;
export type EventName = keyof Events;

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.hasOwn(channels, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

export type AppInfo = z.output<typeof AppInfoSchema>;
export type Health = z.output<typeof HealthSchema>;
export type HealthItem = z.output<typeof HealthItemSchema>;
export type AppMode = z.output<typeof AppModeSchema>;
