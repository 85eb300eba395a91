// resource.Quantity: exact fixed-point numbers with SI, binary and exponent suffixes, parsed and
// printed in upstream's canonical form ("0.5" -> "500m", "1000m" -> "1", "2048Ki" -> "2Mi").
// Values are exact: an integer mantissa times a power of ten, held in BigInt.

export const quantityRegexDetail = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {}

/** A well-formed quantity whose value is beyond what the API holds (int64, as upstream's Value()). */
export class QuantityRangeError extends QuantityError {}

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_BY_EXP: Record<number, string> = Object.fromEntries(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_BY_POW: [number, string][] = Object.entries(BINARY_SUFFIX)
  .map(([k, v]) => [v, k] as [number, string])
  .sort((a, b) => b[0] - a[0]);

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** The largest magnitude a quantity may have: int64, what every consumer reads it as. */
export const MAX_QUANTITY = 2n ** 63n - 1n;
const MAX_QUANTITY_DIGITS = MAX_QUANTITY.toString().length;
/** Finest precision kept: nano (10^-9); anything finer rounds up, as upstream. */
const MIN_EXP = -9;

export const quantityRangeDetail = `must be no more than ${MAX_QUANTITY} in magnitude`;

/** Ceiling of num / den for positive den. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/** Number of trailing '0' characters of a digit string. */
function trailingZeros(digits: string): number {
  let i = digits.length;
  while (i > 0 && digits.charCodeAt(i - 1) === 48) i--;
  return digits.length - i;
}

/**
 * Splits a quantity string without a backtracking regular expression: a long run of digits
 * must cost linear time, whatever follows it.
 */
function scan(s: string): { negative: boolean; whole: string; frac: string; suffix: string } | undefined {
  let i = 0;
  const negative = s[0] === '-';
  if (s[0] === '-' || s[0] === '+') i++;
  const isDigit = (c: number) => c >= 48 && c <= 57;
  const wholeStart = i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  const whole = s.slice(wholeStart, i);
  let frac = '';
  if (s[i] === '.') {
    const fracStart = ++i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    frac = s.slice(fracStart, i);
  }
  if (whole === '' && frac === '') return undefined;
  const suffix = s.slice(i);
  // The suffix's character classes are disjoint, so this anchored match is linear.
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) return undefined;
  return { negative, whole, frac, suffix };
}

export class Quantity {
  /** value = num × 10^exp, normalised so num has no trailing zeros (or is zero with exp 0). */
  private constructor(
    readonly num: bigint,
    readonly exp: number,
    readonly format: Format,
  ) {}

  /**
   * Normalises num × 10^exp. Callers keep num small (parse bounds every value, and arithmetic
   * on bounded values stays within a few dozen digits), so the trailing-zero strip is cheap;
   * it works on the decimal string, not digit by digit with divisions.
   */
  static of(num: bigint, exp: number, format: Format): Quantity {
    if (num === 0n) return new Quantity(0n, 0, format);
    // Upstream keeps nano precision at most and rounds up anything finer.
    if (exp < MIN_EXP) {
      num = ceilDiv(num, pow10(MIN_EXP - exp));
      exp = MIN_EXP;
      if (num === 0n) return new Quantity(0n, 0, format);
    }
    const digits = num.toString();
    const zeros = trailingZeros(digits);
    if (zeros > 0) {
      num = BigInt(digits.slice(0, digits.length - zeros));
      exp += zeros;
    }
    return new Quantity(num, exp, format);
  }

  static fromMilli(milli: bigint | number, format: Format = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(milli), -3, format);
  }

  static fromInt(n: bigint | number, format: Format = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(n), 0, format);
  }

  /**
   * Parses a quantity in time linear in its length. Values beyond int64 are refused
   * (QuantityRangeError) rather than carried: nothing reads them, and unbounded exponents
   * would make every later comparison cost as many digits as the exponent says.
   */
  static parse(s: string): Quantity {
    const parts = s ? scan(s) : undefined;
    if (!parts) throw new QuantityError(quantityRegexDetail);
    const { negative, suffix } = parts;
    let format: Format;
    let exp: number;
    let binaryPow = 0;
    if (suffix in DECIMAL_SUFFIX) {
      format = 'DecimalSI';
      exp = DECIMAL_SUFFIX[suffix]!;
    } else if (suffix in BINARY_SUFFIX) {
      format = 'BinarySI';
      exp = 0;
      binaryPow = BINARY_SUFFIX[suffix]!;
    } else {
      const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
      if (!e) throw new QuantityError("unable to parse quantity's suffix");
      format = 'DecimalExponent';
      // Beyond 2^53 the exponent is meaningless anyway; Number keeps the sign and the size.
      exp = Number(e[1]);
    }
    // Significant digits only: leading zeros dropped, the decimal point folded into exp.
    let digits = (parts.whole + parts.frac).replace(/^0+/, '');
    exp -= parts.frac.length;
    if (digits === '') return new Quantity(0n, 0, format);
    const zeros = trailingZeros(digits);
    digits = digits.slice(0, digits.length - zeros);
    exp += zeros;
    // Magnitude check before any BigInt is built: the value is at least 10^(digits + exp - 1).
    if (digits.length + exp > MAX_QUANTITY_DIGITS) {
      if (format !== 'BinarySI') throw new QuantityRangeError(quantityRangeDetail);
      return Quantity.of(negative ? -MAX_QUANTITY : MAX_QUANTITY, 0, format);
    }
    // Digits finer than nano round up to one nano. A binary suffix multiplies by up to 2^60,
    // so for those 61 more digits are kept: enough that the rounding is the same as exact.
    const finest = MIN_EXP - (binaryPow ? 61 : 0);
    if (exp < finest) {
      const keep = digits.length - (finest - exp);
      const dropped = keep > 0 ? digits.slice(keep) : digits;
      digits = keep > 0 ? digits.slice(0, keep) : '0';
      if (/[1-9]/.test(dropped)) digits = (BigInt(digits) + 1n).toString();
      exp = finest;
    }
    let num = BigInt(digits) * 2n ** BigInt(binaryPow);
    const value = exp >= 0 ? num * pow10(exp) : num / pow10(-exp);
    if (value > MAX_QUANTITY) {
      // As upstream: binary quantities are capped at the int64 maximum, others refused.
      if (format !== 'BinarySI') throw new QuantityRangeError(quantityRangeDetail);
      num = MAX_QUANTITY;
      exp = 0;
    }
    return Quantity.of(negative ? -num : num, exp, format);
  }

  static tryParse(s: string): Quantity | undefined {
    try {
      return Quantity.parse(s);
    } catch {
      return undefined;
    }
  }

  private aligned(o: Quantity): [bigint, bigint, number] {
    const e = Math.min(this.exp, o.exp);
    return [this.num * pow10(this.exp - e), o.num * pow10(o.exp - e), e];
  }

  cmp(o: Quantity): number {
    const [a, b] = this.aligned(o);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  add(o: Quantity): Quantity {
    const [a, b, e] = this.aligned(o);
    return Quantity.of(a + b, e, this.num === 0n ? o.format : this.format);
  }

  sub(o: Quantity): Quantity {
    const [a, b, e] = this.aligned(o);
    return Quantity.of(a - b, e, this.num === 0n ? o.format : this.format);
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  sign(): number {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }

  /** The value rounded up to an integer scaled by 10^scale (upstream ScaledValue). */
  scaled(scale: number): bigint {
    const e = this.exp - scale;
    if (e >= 0) return this.num * pow10(e);
    return ceilDiv(this.num, pow10(-e));
  }

  /** Value in thousandths, rounded up (upstream MilliValue). */
  milliValue(): number {
    return Number(this.scaled(-3));
  }

  /** Integer value, rounded up (upstream Value). */
  value(): number {
    return Number(this.scaled(0));
  }

  toJSON(): string {
    return this.toString();
  }

  toString(): string {
    if (this.num === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      // Binary suffixes only for integers of magnitude 1024 and above, as upstream.
      const abs = this.num < 0n ? -this.num : this.num;
      if (this.exp < 0 || abs * pow10(this.exp) < 1024n) format = 'DecimalSI';
      else {
        const v = this.num * pow10(this.exp);
        for (const [p, suffix] of BINARY_BY_POW) {
          const d = 2n ** BigInt(p);
          if (v % d === 0n) return `${v / d}${suffix}`;
        }
        return `${v}`;
      }
    }
    // Largest exponent that is a multiple of 3 and keeps the mantissa an integer.
    let e = Math.floor(this.exp / 3) * 3;
    if (format === 'DecimalSI') e = Math.min(Math.max(e, -9), 18);
    const mant = this.num * pow10(this.exp - e);
    if (format === 'DecimalExponent') return e === 0 ? `${mant}` : `${mant}e${e}`;
    return `${mant}${SUFFIX_BY_EXP[e]}`;
  }
}

export function isValidQuantity(s: unknown): boolean {
  return typeof s === 'string' ? Quantity.tryParse(s) !== undefined : typeof s === 'number' && Number.isFinite(s);
}

/** A quantity given in JSON, which may be a number or a string. */
export function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Quantity.tryParse(String(v));
  return typeof v === 'string' ? Quantity.tryParse(v) : undefined;
}
