// The scoring rules of ledger/domain/rules.py, ported to the page so that a person sees the
// points the server will record before signing. Decimal arithmetic on BigInt: a number is
// { n, s } meaning n × 10^−s. Division follows Python's decimal context (28 significant
// digits, half-even) and every rounding to the set's precision is half-up, as on the server.
// Refusals carry the server's own codes and fields. tests/vectors/rules.json is run through
// both implementations.

const POINTS = /^[0-9]{1,6}(\.[0-9]{1,6})?$/;
const HUNDRED = { n: 100n, s: 0 };
const ZERO = { n: 0n, s: 0 };
const CONTEXT_DIGITS = 28;

export class RuleError extends Error {
  constructor(code, field, reason = null) {
    super(code);
    this.code = code;
    this.field = field;
    this.reason = reason;
  }
}

// -- decimals -----------------------------------------------------------------------------

const TEN = (k) => 10n ** BigInt(k);

export function decimal(text) {
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(String(text));
  if (!match) throw new TypeError(`not a decimal: ${text}`);
  const fraction = match[3] || "";
  const n = BigInt(match[2] + fraction);
  return { n: match[1] ? -n : n, s: fraction.length };
}

function align(a, b) {
  const s = Math.max(a.s, b.s);
  return [a.n * TEN(s - a.s), b.n * TEN(s - b.s), s];
}

function add(a, b) {
  const [x, y, s] = align(a, b);
  return { n: x + y, s };
}

function sub(a, b) {
  const [x, y, s] = align(a, b);
  return { n: x - y, s };
}

function mul(a, b) {
  return { n: a.n * b.n, s: a.s + b.s };
}

export function compare(a, b) {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function digits(n) {
  return (n < 0n ? -n : n).toString().length;
}

// Python's Decimal division in the default context: exact if it fits in 28 significant
// digits, else rounded there, half to even.
function divide(a, b) {
  let num = a.n * TEN(b.s);
  let den = b.n * TEN(a.s);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  if (num === 0n) return ZERO;
  const negative = num < 0n;
  if (negative) num = -num;
  let e = CONTEXT_DIGITS - 1 - (digits(num) - digits(den));
  const scaled = (k) => (k >= 0 ? [num * TEN(k), den] : [num, den * TEN(-k)]);
  for (;;) {
    const [x, y] = scaled(e);
    const q = x / y;
    if (q >= TEN(CONTEXT_DIGITS)) e -= 1;
    else if (q < TEN(CONTEXT_DIGITS - 1)) e += 1;
    else break;
  }
  const [x, y] = scaled(e);
  let q = x / y;
  const twice = 2n * (x % y);
  if (twice > y || (twice === y && q % 2n === 1n)) q += 1n;
  const n = negative ? -q : q;
  return e >= 0 ? { n, s: e } : { n: n * TEN(-e), s: 0 };
}

// Round half-up (away from zero at .5) to `places` decimals.
export function quantize(a, places) {
  if (a.s <= places) return { n: a.n * TEN(places - a.s), s: places };
  const unit = TEN(a.s - places);
  const magnitude = a.n < 0n ? -a.n : a.n;
  let q = magnitude / unit;
  if (2n * (magnitude % unit) >= unit) q += 1n;
  return { n: a.n < 0n ? -q : q, s: places };
}

// The shortest text without exponent, as the ledger writes points: 8.50 -> "8.5", 10 -> "10".
export function plain(a) {
  let { n, s } = a;
  while (s > 0 && n % 10n === 0n) {
    n /= 10n;
    s -= 1;
  }
  const negative = n < 0n;
  let text = (negative ? -n : n).toString();
  if (s > 0) {
    text = text.padStart(s + 1, "0");
    text = text.slice(0, -s) + "." + text.slice(-s);
  }
  return (negative && n !== 0n ? "-" : "") + text;
}

// -- the rules ----------------------------------------------------------------------------

const FIELD = "command.args.inputs";

function expect(kind, inputs, names) {
  const given = Object.keys(inputs).sort();
  if (given.join(",") !== [...names].sort().join(",")) {
    throw new RuleError("rule_input_mismatch", FIELD, "rule_input_mismatch");
  }
}

function count(inputs, name) {
  const value = inputs[name];
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new RuleError("invalid_input", `${FIELD}.${name}`, "invalid_count");
  }
  if (value < 0) throw new RuleError("negative_count", `${FIELD}.${name}`);
  return BigInt(value);
}

function parsePoints(text, precision) {
  const field = `${FIELD}.points`;
  if (typeof text !== "string" || !POINTS.test(text)) {
    throw new RuleError("invalid_input", field, "invalid_points");
  }
  const value = decimal(text);
  if (plain(value).split(".")[1]?.length > precision) {
    throw new RuleError("invalid_input", field, "too_many_decimals");
  }
  return value;
}

function tiers(rule) {
  return rule.tiers.map((t) => ({
    points: decimal(t.points),
    low: decimal(t.min ?? "0"),
    lowInclusive: t.min_inclusive ?? true,
    high: decimal(t.max ?? "100"),
    highInclusive: t.max_inclusive ?? true,
  }));
}

function contains(tier, percent) {
  const low = compare(percent, tier.low);
  const high = compare(percent, tier.high);
  return (tier.lowInclusive ? low >= 0 : low > 0) && (tier.highInclusive ? high <= 0 : high < 0);
}

// The points (and percentage) that `inputs` give under `rule`, as the ledger will record
// them: { points: "0.5", percent: "95" } (strings), or a RuleError.
export function compute(rule, maximumText, precision, inputs) {
  const kind = rule.kind ?? "free";
  const maximum = decimal(maximumText);
  if (kind === "free") {
    expect(kind, inputs, ["points"]);
    const points = parsePoints(inputs.points, precision);
    if (compare(points, maximum) > 0) {
      throw new RuleError("above_maximum", `${FIELD}.points`);
    }
    if (rule.step !== undefined) {
      const [p, step] = align(points, decimal(rule.step));
      if (p % step !== 0n && compare(points, maximum) !== 0) {
        throw new RuleError("off_step", `${FIELD}.points`);
      }
    }
    return { points: plain(points) };
  }
  if (kind === "all_or_nothing") {
    expect(kind, inputs, ["achieved"]);
    if (typeof inputs.achieved !== "boolean") {
      throw new RuleError("invalid_input", `${FIELD}.achieved`, "missing_input");
    }
    return { points: plain(inputs.achieved ? maximum : ZERO) };
  }
  if (kind === "deduction") {
    expect(kind, inputs, ["occurrences"]);
    const occurrences = count(inputs, "occurrences");
    let points = sub(maximum, mul({ n: occurrences, s: 0 }, decimal(rule.per_occurrence)));
    if (compare(points, ZERO) < 0) points = ZERO;
    return { points: plain(quantize(points, precision)) };
  }
  if (kind === "tiers" || kind === "proportional") {
    expect(kind, inputs, ["numerator", "denominator"]);
    const numerator = count(inputs, "numerator");
    const denominator = count(inputs, "denominator");
    if (numerator > denominator) {
      throw new RuleError("numerator_above_denominator", `${FIELD}.numerator`);
    }
    if (denominator === 0n) {
      if (rule.zero_denominator_points !== undefined) {
        return { points: plain(decimal(rule.zero_denominator_points)) };
      }
      throw new RuleError("zero_denominator", `${FIELD}.denominator`);
    }
    const share = divide(mul({ n: numerator, s: 0 }, HUNDRED), { n: denominator, s: 0 });
    const percent = quantize(share, precision);
    if (kind === "proportional") {
      const points = quantize(divide(mul(maximum, percent), HUNDRED), precision);
      return { points: plain(points), percent: plain(percent) };
    }
    for (const tier of tiers(rule)) {
      if (contains(tier, percent)) return { points: plain(tier.points), percent: plain(percent) };
    }
    throw new RuleError("no_tier", FIELD);
  }
  throw new RuleError("unknown_rule", FIELD);
}

// What a person types for points, with a comma or a point: "1,25" -> "1.25".
export function pointsFromInput(text) {
  return String(text).trim().replace(",", ".");
}

// A count as typed: a whole number, or the text itself (which the rule then refuses).
export function countFromInput(text) {
  const trimmed = String(text).trim();
  return /^[0-9]{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

// Points for people, as the pages print them: a decimal comma and the set's places, trailing
// zeros dropped down to two (api/web/format.py number()).
export function display(text, precision) {
  const fixed = plain(quantize(decimal(text), precision));
  const [whole, fraction = ""] = fixed.split(".");
  const shown = fraction.padEnd(Math.min(2, precision), "0");
  return shown ? `${whole},${shown}` : whole;
}
