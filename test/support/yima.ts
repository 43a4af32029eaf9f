/**
 * The Yima merchant the tests configure: the seed's sample identifiers (isspid, system, store, POS,
 * terminal). The URL never resolves — training mode sends to the built-in simulator, and live-mode
 * tests point `url` at theirs.
 */
export const YIMA_TEST_SETTINGS = {
  url: 'https://yima.invalid/ipos-sa/gateway',
  isspid: '39493002',
  systemId: '8888',
  storeId: '1511300001',
  posId: '1511300001',
  terminalId: '0001045907',
  cardRoute: 'yima' as const,
};

/** Result queries 20 ms apart, backoff up to 100 ms, 状态未明 after 1.5 s: a Yima test's whole life in seconds. */
export const FAST_YIMA_SCHEDULE = { firstQueryMs: 20, fastIntervalMs: 20, slowIntervalMs: 20, backoffStartMs: 20, backoffMaxMs: 100, unknownAfterMs: 1500 };
