/** Who answers for the activation record contracts, and the date of their first release. Pure. */
export const ACTIVATION_OWNER = 'scoreflow-activation-team';
export const FIRST_RELEASE_DATE = '2026-11-28';
