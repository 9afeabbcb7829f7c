/**
 * A field that cannot be interpreted (a non-numeric event value, a product with too many parts).
 * The ingest quarantines the record with this message as the reason; the message names the
 * field and the shape of the problem, never the value itself.
 */
export class FieldFormatError extends Error {
  override readonly name = 'FieldFormatError';
}
