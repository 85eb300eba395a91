// Field paths as upstream prints them: `spec.containers[0].resources.limits[cpu]`.
export class Path {
  constructor(readonly s: string = '') {}
  child(name: string): Path {
    return new Path(this.s ? `${this.s}.${name}` : name);
  }
  index(i: number): Path {
    return new Path(`${this.s}[${i}]`);
  }
  key(k: string): Path {
    return new Path(`${this.s}[${k}]`);
  }
  toString(): string {
    return this.s;
  }
}
