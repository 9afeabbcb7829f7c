/**
 * Bad-input corpus: XDM ExperienceEvents (POST /v1/events) and decision requests
 * (GET /v1/decisions/:entityId). Each case is one request; the API must answer with the status, an
 * error code, the path of the field or key and a message naming the problem, and apply nothing.
 */
export interface HttpCase {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  /** A JSON value (serialised), or a raw string body. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  error: string;
  /** The `path` of the answer (the field, key or part of the request at fault). */
  path: string | RegExp;
  message: RegExp;
}

const ECID = '1'.repeat(19) + '2'.repeat(19);
/** A valid event; each case breaks one part of it. */
export function goodEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: `corpus-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(Date.now() - 1000).toISOString(),
    eventType: 'commerce.productListAdds',
    identityMap: { ECID: [{ id: ECID, primary: true }] },
    productListItems: [{ SKU: 'SKU-1', name: 'Runner', quantity: 1, priceTotal: 89.5 }],
    ...over,
  };
}
const without = (key: string) => {
  const e = goodEvent();
  delete e[key];
  return e;
};
const post = (name: string, body: unknown, path: string | RegExp, message: RegExp, error = 'invalid_event'): HttpCase => ({ name: `event: ${name}`, method: 'POST', url: '/v1/events', body, status: 400, error, path, message });
const get = (name: string, url: string, status: number, error: string, path: string, message: RegExp): HttpCase => ({ name: `decision: ${name}`, method: 'GET', url, status, error, path, message });

export const HTTP_CASES: HttpCase[] = [
  post('no _id', without('_id'), '_id', /_id/),
  post('empty _id', goodEvent({ _id: '' }), '_id', /_id \(the event id used for dedup\) is required/),
  post('_id longer than 256', goodEvent({ _id: 'x'.repeat(257) }), '_id', /_id/),
  post('timestamp not RFC 3339', goodEvent({ timestamp: '28/11/2026 10:15' }), 'timestamp', /timestamp must be RFC 3339/),
  post('timestamp in the future', goodEvent({ timestamp: new Date(Date.now() + 3_600_000).toISOString() }), 'timestamp', /timestamp is in the future/),
  post('no timestamp', without('timestamp'), 'timestamp', /timestamp/),
  post('unknown eventType', goodEvent({ eventType: 'commerce.teleport' }), 'eventType', /eventType|commerce\./),
  post('no identityMap', without('identityMap'), /^identityMap/, /identityMap/),
  post('ECID list empty', goodEvent({ identityMap: { ECID: [] } }), 'identityMap.ECID', /identityMap\.ECID needs at least one entry/),
  post('ECID of 37 digits', goodEvent({ identityMap: { ECID: [{ id: '1'.repeat(37) }] } }), 'identityMap.ECID[0].id', /an ECID is 38 digits/),
  post('ECID with letters', goodEvent({ identityMap: { ECID: [{ id: 'a'.repeat(38) }] } }), 'identityMap.ECID[0].id', /an ECID is 38 digits/),
  post('ECID a number, not a string', goodEvent({ identityMap: { ECID: [{ id: 12345 }] } }), 'identityMap.ECID[0].id', /string|ECID/),
  post('product quantity a string', goodEvent({ productListItems: [{ SKU: 'A', quantity: 'two' }] }), /^productListItems\[0\]\.quantity/, /number|quantity/),
  post('product SKU longer than 256', goodEvent({ productListItems: [{ SKU: 'S'.repeat(257), quantity: 1 }] }), 'productListItems[0].SKU', /256|too big|at most/i),
  post('currencyCode lower case', goodEvent({ eventType: 'commerce.purchases', commerce: { order: { currencyCode: 'eur', priceTotal: 10 } } }), 'commerce.order.currencyCode', /./),
  post('negative order total', goodEvent({ eventType: 'commerce.purchases', commerce: { order: { priceTotal: -5 } } }), 'commerce.order.priceTotal', /(>=|non-?negative|too small)/i),
  post('a bad event in the second place of a batch', [goodEvent(), goodEvent({ identityMap: { ECID: [{ id: '9' }] } })], /^\[1\]\.identityMap\.ECID\[0\]\.id|^events\[1\]/, /an ECID is 38 digits/),
  post('{events: []} with a bad one', { events: [goodEvent({ timestamp: 'yesterday' })] }, /timestamp/, /RFC 3339/),
  post('a number for a body', 42, /./, /./),
  post('an empty batch', [], /./, /./),
  post('more events than maxEvents', Array.from({ length: 21 }, () => goodEvent()), /./, /20/),
  {
    name: 'event: a __proto__ key in the body',
    method: 'POST',
    url: '/v1/events',
    raw: `{"_id":"p1","timestamp":"${new Date().toISOString()}","eventType":"commerce.productListAdds","identityMap":{"ECID":[{"id":"${ECID}"}]},"__proto__":{"admin":true}}`,
    contentType: 'application/json',
    status: 400,
    error: 'forbidden_key',
    path: '(body)',
    message: /"__proto__" or "constructor\.prototype" key \(key __proto__\), which is refused because it could alter object prototypes; remove that key/,
  },
  {
    name: 'event: a constructor.prototype key in the body',
    method: 'POST',
    url: '/v1/events',
    raw: '{"_id":"p2","constructor":{"prototype":{"admin":true}}}',
    contentType: 'application/json',
    status: 400,
    error: 'forbidden_key',
    path: '(body)',
    message: /"__proto__" or "constructor\.prototype" key \(key constructor\.prototype\)/,
  },
  { name: 'event: truncated JSON', method: 'POST', url: '/v1/events', raw: '{"_id": "x", "timestamp":', contentType: 'application/json', status: 400, error: 'invalid_json', path: '(body)', message: /the body is not valid JSON/ },
  { name: 'event: an empty JSON body', method: 'POST', url: '/v1/events', raw: '', contentType: 'application/json', status: 400, error: 'invalid_json', path: '(body)', message: /not valid JSON/ },
  { name: 'event: a form-encoded body', method: 'POST', url: '/v1/events', raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded', status: 415, error: 'unsupported_media_type', path: '(headers).content-type', message: /must be sent as Content-Type: application\/json/ },
  { name: 'event: a body over the size limit', method: 'POST', url: '/v1/events', raw: JSON.stringify({ events: [goodEvent({ pad: 'x'.repeat(20_000) })] }), contentType: 'application/json', status: 413, error: 'body_too_large', path: '(body)', message: /the body is over 16384 bytes; send fewer events per request/ },
  get('entity id without the underscore', '/v1/decisions/12345', 400, 'invalid_entity_id', 'params.entityId', /<visid_high>_<visid_low>/),
  get('entity id with letters', '/v1/decisions/12_ab', 400, 'invalid_entity_id', 'params.entityId', /<visid_high>_<visid_low>/),
  get('entity id with three parts', '/v1/decisions/1_2_3', 400, 'invalid_entity_id', 'params.entityId', /<visid_high>_<visid_low>/),
  get('entity id half above 20 digits', `/v1/decisions/${'9'.repeat(21)}_1`, 400, 'invalid_entity_id', 'params.entityId', /<visid_high>_<visid_low>/),
  get('an unknown destination', '/v1/decisions/1_2?destination=fax', 400, 'unknown_destination', 'query.destination', /fax|destination/),
];
