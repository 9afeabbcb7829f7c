/**
 * A small PromQL syntax checker for alert rule expressions (promtool is not available here): tokens,
 * balanced ( ) [ ] { }, label matchers, range durations, known functions and aggregations, operator
 * placement. Returns the problems (empty when the expression passes) and the metric names it reads.
 * It is deliberately strict and small: it accepts the PromQL our rules use, not every PromQL.
 */

export const PROMQL_FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'count_over_time', 'day_of_month',
  'day_of_week', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'hour', 'idelta', 'increase', 'irate', 'label_join',
  'label_replace', 'last_over_time', 'ln', 'log10', 'log2', 'max_over_time', 'min_over_time', 'minute', 'month', 'predict_linear',
  'present_over_time', 'quantile_over_time', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time', 'time', 'timestamp', 'vector', 'year',
]);
export const PROMQL_AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile']);
const BINARY_OPS = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless']);
const MODIFIERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

type Kind = 'num' | 'str' | 'id' | 'op' | 'punct' | 'match';
interface Token {
  kind: Kind;
  text: string;
  at: number;
}

function tokenize(expr: string, problems: string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = expr.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^"(?:[^"\\]|\\.)*"/.exec(rest)) || (m = /^'(?:[^'\\]|\\.)*'/.exec(rest))) tokens.push({ kind: 'str', text: m[0], at: i });
    else if (c === '"' || c === "'") {
      problems.push(`unterminated string at ${i}`);
      break;
    } else if ((m = /^(\d+(ms|s|m|h|d|w|y))+(?![a-zA-Z0-9_])/.exec(rest))) tokens.push({ kind: 'num', text: m[0], at: i });
    else if ((m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest))) tokens.push({ kind: 'num', text: m[0], at: i });
    else if ((m = /^[a-zA-Z_][a-zA-Z0-9_:]*/.exec(rest))) tokens.push({ kind: BINARY_OPS.has(m[0]) ? 'op' : 'id', text: m[0], at: i });
    else if ((m = /^(=~|!~)/.exec(rest))) tokens.push({ kind: 'match', text: m[0], at: i });
    else if ((m = /^(==|!=|>=|<=|[-+*/%^<>])/.exec(rest))) tokens.push({ kind: 'op', text: m[0], at: i });
    else if (c === '=') tokens.push({ kind: 'match', text: '=', at: i });
    else if ('(){}[],:'.includes(c)) tokens.push({ kind: 'punct', text: c, at: i });
    else {
      problems.push(`unexpected character "${c}" at ${i}`);
      break;
    }
    i += (m?.[0] ?? c).length;
  }
  return tokens;
}

export interface PromqlCheck {
  problems: string[];
  metrics: string[];
}

export function checkPromql(expr: string): PromqlCheck {
  const problems: string[] = [];
  const metrics = new Set<string>();
  if (expr.trim() === '') return { problems: ['empty expression'], metrics: [] };
  const t = tokenize(expr, problems);
  // Balanced brackets.
  const stack: Token[] = [];
  const pair: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const tok of t) {
    if (tok.kind !== 'punct') continue;
    if ('([{'.includes(tok.text)) stack.push(tok);
    else if (tok.text in pair) {
      const open = stack.pop();
      if (!open || open.text !== pair[tok.text]) problems.push(`unbalanced "${tok.text}" at ${tok.at}`);
    }
  }
  for (const open of stack) problems.push(`unclosed "${open.text}" at ${open.at}`);

  for (let k = 0; k < t.length; k++) {
    const tok = t[k]!;
    const prev = t[k - 1];
    const next = t[k + 1];
    if (tok.kind === 'punct' && tok.text === '{') {
      // Label matchers: name op "string" (, name op "string")* up to "}".
      let j = k + 1;
      while (j < t.length && t[j]!.text !== '}') {
        const [name, op, value, sep] = [t[j], t[j + 1], t[j + 2], t[j + 3]];
        if (!name || name.kind !== 'id' || !LABEL_NAME.test(name.text)) problems.push(`invalid label name "${name?.text ?? ''}" in a matcher at ${name?.at ?? tok.at}`);
        if (!op || !(op.kind === 'match' || op.text === '!=')) problems.push(`a label matcher needs =, !=, =~ or !~ after "${name?.text ?? ''}"`);
        if (!value || value.kind !== 'str') problems.push(`a label matcher needs a quoted value after "${name?.text ?? ''}${op?.text ?? ''}"`);
        if (value?.kind === 'str' && (op?.text === '=~' || op?.text === '!~')) {
          try {
            new RegExp(value.text.slice(1, -1));
          } catch {
            problems.push(`invalid regular expression ${value.text}`);
          }
        }
        if (sep && sep.text !== ',' && sep.text !== '}') problems.push(`expected "," or "}" after a label matcher, got "${sep.text}"`);
        j += sep?.text === ',' ? 4 : 3;
      }
      k = j;
      continue;
    }
    if (tok.kind === 'punct' && tok.text === '[') {
      // A range: [5m] or a subquery [1h:5m].
      const range = t[k + 1];
      if (!range || !DURATION.test(range.text)) problems.push(`a range needs a duration like 5m, got "${range?.text ?? ''}"`);
      const after = t[k + 2];
      if (after?.text === ':') {
        const step = t[k + 3];
        if (step && step.text !== ']' && !DURATION.test(step.text)) problems.push(`a subquery step needs a duration, got "${step.text}"`);
      } else if (after?.text !== ']') problems.push(`expected "]" after the range at ${tok.at}`);
      if (prev && !(prev.text === '}' || prev.text === ')' || (prev.kind === 'id' && !PROMQL_FUNCTIONS.has(prev.text)))) problems.push(`a range must follow a selector, not "${prev.text}"`);
      continue;
    }
    if (tok.kind === 'id') {
      if (prev?.kind === 'punct' && prev.text === '[') continue;
      if (MODIFIERS.has(tok.text) || tok.text === 'bool' || tok.text === 'offset') {
        if (MODIFIERS.has(tok.text)) {
          if (next?.text !== '(') problems.push(`"${tok.text}" needs a parenthesized label list`);
          else {
            let j = k + 2;
            while (j < t.length && t[j]!.text !== ')') {
              if (t[j]!.text !== ',' && !LABEL_NAME.test(t[j]!.text)) problems.push(`invalid label name "${t[j]!.text}" in ${tok.text}(...)`);
              j++;
            }
            k = j;
          }
        }
        continue;
      }
      if (next?.text === '(') {
        if (!PROMQL_FUNCTIONS.has(tok.text) && !PROMQL_AGGREGATIONS.has(tok.text)) problems.push(`unknown function "${tok.text}"`);
        continue;
      }
      if (PROMQL_AGGREGATIONS.has(tok.text) && (next?.text === 'by' || next?.text === 'without')) continue;
      if (PROMQL_FUNCTIONS.has(tok.text) || PROMQL_AGGREGATIONS.has(tok.text)) {
        problems.push(`"${tok.text}" is a function and needs "("`);
        continue;
      }
      if (!METRIC_NAME.test(tok.text)) problems.push(`invalid metric name "${tok.text}"`);
      else metrics.add(tok.text);
      if (next && (next.kind === 'num' || next.kind === 'str' || (next.kind === 'id' && !MODIFIERS.has(next.text) && next.text !== 'offset'))) problems.push(`missing operator between "${tok.text}" and "${next.text}"`);
      continue;
    }
    if (tok.kind === 'op') {
      const unary = (tok.text === '-' || tok.text === '+') && (!prev || prev.kind === 'op' || prev.text === '(' || prev.text === ',');
      if (!unary) {
        if (!prev || prev.kind === 'op' || (prev.kind === 'punct' && '([{,'.includes(prev.text))) problems.push(`operator "${tok.text}" at ${tok.at} has no left operand`);
        const rhs = next?.text === 'bool' ? t[k + 2] : next;
        if (!rhs || (rhs.kind === 'op' && rhs.text !== '-' && rhs.text !== '+') || (rhs.kind === 'punct' && ')]},'.includes(rhs.text))) problems.push(`operator "${tok.text}" at ${tok.at} has no right operand`);
      }
      continue;
    }
    if (tok.kind === 'num' || tok.kind === 'str') {
      if (next && (next.kind === 'num' || next.kind === 'id' || next.kind === 'str') && !MODIFIERS.has(next.text) && next.text !== 'offset') problems.push(`missing operator between "${tok.text}" and "${next.text}"`);
    }
    if (tok.kind === 'punct' && tok.text === ')' && next && (next.kind === 'num' || next.kind === 'str')) problems.push(`missing operator between ")" and "${next.text}"`);
    if (tok.kind === 'match') problems.push(`"${tok.text}" outside a label matcher at ${tok.at}`);
  }
  return { problems, metrics: [...metrics] };
}
