/**
 * The IPC contract, written once. Every channel the renderer may call and every event the host may
 * push is declared here with its schemas; the preload API, the main/web handlers and the renderer
 * client are all derived from it (see ./types.ts). A channel without a handler does not compile.
 *
 * `access` says which windows may call a channel: the cashier window may call everything it lists,
 * the customer display only the read-only channels marked `display`.
 */
import { z } from 'zod';

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
} as const;

export const events = {
  'app:mode': AppInfoSchema,
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
