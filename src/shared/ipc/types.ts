/**
 * Types derived from the contract: what a caller passes, what a handler returns, the envelope that
 * crosses the bridge, and the shape of `window.pos`.
 */
import type { z } from 'zod';
import type { ErrorInfo } from '../errors';
import type { ChannelName, Channels, EventName, Events, WindowRole } from './contract';

export type ChannelInput<C extends ChannelName> = z.input<Channels[C]['input']>;
export type ChannelParsedInput<C extends ChannelName> = z.output<Channels[C]['input']>;
export type ChannelOutput<C extends ChannelName> = z.output<Channels[C]['output']>;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

/** Errors cross the bridge as data with stable codes; stacks stay in the host's log. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export interface CallContext {
  /** The window that called (checked against the channel's `access`). */
  role: WindowRole;
}

/** The main/web side: one function per channel, or the program does not compile. */
export type Handlers = {
  [C in ChannelName]: (input: ChannelParsedInput<C>, ctx: CallContext) => Promise<ChannelOutput<C>> | ChannelOutput<C>;
};

export type Unsubscribe = () => void;

/** What the renderer sees as `window.pos`, and what every transport implements. */
export interface PosBridge {
  invoke<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<Result<ChannelOutput<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
}

/** Wire frames of the WebSocket transport (browser mode). */
export type WsClientFrame = { id: number; channel: string; input?: unknown };
export type WsServerFrame = { id: number; result: Result<unknown> } | { event: string; payload: unknown };
