// resource.Quantity: exact fixed-point numbers with SI, binary and exponent suffixes, parsed and
// printed in upstream's canonical form ("0.5" -> "500m", "1000m" -> "1", "2048Ki" -> "2Mi").
// Values are exact: an integer mantissa times a power of ten, held in BigInt.

export const quantityRegexDetail = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {}

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_BY_EXP: Record<number, string> = Object.fromEntries(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_BY_POW: [number, string][] = Object.entries(BINARY_SUFFIX)
  .map(([k, v]) => [v, k] as [number, string])
  .sort((a, b) => b[0] - a[0]);

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** Ceiling of num / den for positive den. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

export class Quantity {
  /** value = num × 10^exp, normalised so num has no trailing zeros (or is zero with exp 0). */
  private constructor(
    readonly num: bigint,
    readonly exp: number,
    readonly format: Format,
  ) {}

  static of(num: bigint, exp: number, format: Format): Quantity {
    if (num === 0n) return new Quantity(0n, 0, format);
    while (num % TEN === 0n) {
      num /= TEN;
      exp++;
    }
    // Upstream keeps nano precision at most and rounds up anything finer.
    if (exp < -9) {
      num = ceilDiv(num, pow10(-9 - exp));
      exp = -9;
      return Quantity.of(num, exp, format);
    }
    return new Quantity(num, exp, format);
  }

  static fromMilli(milli: bigint | number, format: Format = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(milli), -3, format);
  }

  static fromInt(n: bigint | number, format: Format = 'DecimalSI'): Quantity {
    return Quantity.of(BigInt(n), 0, format);
  }

  static parse(s: string): Quantity {
    const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(s);
    if (!s || !m || (m[2] === '' && (m[3] ?? '') === '')) throw new QuantityError(quantityRegexDetail);
    const [, sign, whole, frac = '', suffix] = m as unknown as [string, string, string, string | undefined, string];
    let exp = -frac.length;
    let num = BigInt((whole || '0') + frac);
    let format: Format;
    if (suffix in DECIMAL_SUFFIX) {
      format = 'DecimalSI';
      exp += DECIMAL_SUFFIX[suffix]!;
    } else if (suffix in BINARY_SUFFIX) {
      format = 'BinarySI';
      num *= 2n ** BigInt(BINARY_SUFFIX[suffix]!);
    } else {
      const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
      if (!e) throw new QuantityError('unable to parse quantity\'s suffix');
      format = 'DecimalExponent';
      exp += Number(e[1]);
    }
    if (sign === '-') num = -num;
    return Quantity.of(num, exp, format);
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
