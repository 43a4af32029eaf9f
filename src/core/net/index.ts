/**
 * Shared network plumbing (issue 10.6): one injectable HTTP transport for gateway clients and one
 * bounded body reader for the loopback servers. Gateway modules import from here; nothing here knows
 * a gateway.
 */
export { createHttpTransport, toTransportError, TransportError, DEFAULT_MAX_RESPONSE_BYTES } from './transport';
export type { HttpTransport, TransportOptions, TransportReason, TransportRequest, TransportResponse } from './transport';
export { readBounded, readRequestBody, MAX_DRAIN_BYTES } from './body';
export type { BoundedBody } from './body';
