/** Access to the run's Temporal dev server. Fails loudly when the global setup did not start one. */
export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('No Temporal dev server for this test run: unset SCOREFLOW_NO_TEMPORAL so the global setup starts one.');
  }
  return address;
}
