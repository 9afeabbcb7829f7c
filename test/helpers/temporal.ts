/** Access to the run's Temporal dev server. Fails loudly when the global setup did not start one. */
export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('No Temporal dev server for this test run: unset SCOREFLOW_NO_TEMPORAL so the global setup starts one.');
  }
  return address;
}

/** Base URL of the run's Temporal Web UI. Fails loudly when there is none. */
export function temporalUiUrl(): string {
  const url = process.env.TEMPORAL_UI_URL;
  if (!url) {
    throw new Error(
      'No Temporal Web UI for this test run: unset SCOREFLOW_NO_TEMPORAL so the global setup starts the dev server with its UI, or, with TEMPORAL_ADDRESS set, set TEMPORAL_UI_URL to that server\'s Web UI.',
    );
  }
  return url;
}
