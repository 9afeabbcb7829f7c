/**
 * The one error a bad delivery raises. Its name is the Temporal non-retryable failure type
 * `InvalidFeed`: retrying cannot fix a broken transfer or a missing lookup, a re-delivery can.
 * The message names the file and the problem and says what to do; it never carries record values.
 */
export class InvalidFeedError extends Error {
  override readonly name = 'InvalidFeed';
  /** The delivery file the problem is in (manifest, data file or lookup archive), when there is one. */
  readonly fileName: string | undefined;

  constructor(message: string, fileName?: string) {
    super(message);
    this.fileName = fileName;
  }
}
