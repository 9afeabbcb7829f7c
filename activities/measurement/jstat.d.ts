/**
 * The part of jstat (https://github.com/jstat/jstat, MIT) that measurement uses. jstat ships no
 * types; this declares only the distribution functions called from lift.ts. The package is
 * CommonJS (`module.exports = jStat`), so it is imported as the default export.
 */
declare module 'jstat' {
  interface JStatNormal {
    /** P(X ≤ x) for X ~ Normal(mean, std). */
    cdf(x: number, mean: number, std: number): number;
    /** Quantile: x with P(X ≤ x) = p. */
    inv(p: number, mean: number, std: number): number;
  }
  interface JStatStudentT {
    /** P(T ≤ x) for Student's t with `dof` degrees of freedom (dof may be fractional). */
    cdf(x: number, dof: number): number;
    /** Quantile: x with P(T ≤ x) = p. */
    inv(p: number, dof: number): number;
  }
  interface JStatChiSquare {
    /** P(X ≤ x) for a chi-squared variable with `dof` degrees of freedom. */
    cdf(x: number, dof: number): number;
  }
  interface JStatStatic {
    normal: JStatNormal;
    studentt: JStatStudentT;
    chisquare: JStatChiSquare;
  }
  const jStat: JStatStatic;
  export default jStat;
}
