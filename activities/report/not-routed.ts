/** The destination group of entities that no destination received, and what it means for a reader. */
export const NOT_ROUTED = '(not routed)';

export const NOT_ROUTED_NOTE =
  '(not routed): people published in this run whom no destination received or held out as control: their segment is routed to no destination, ' +
  'or every destination left them out (no consent, no matching identifier); the run report shows audience sizes per segment and destination. ' +
  'They still count in the overall lift, because every published person is measured in their holdout arm (intent to treat).';
