// Blocks of keys in the table's shared endpoint maps. Each Service port picks its endpoint with
// `numgen random mod N offset K` looked up in one named map, instead of an anonymous map of its
// own: with thousands of anonymous sets the kernel's name allocation and nft's cache make every
// transaction slow (measured in docs/benchmarks.md). The allocator gives each chain a block of
// keys [K, K+size) with size a power of two >= N, reusing released blocks of the same size.

export class SlotAllocator {
  private next = 0;
  private readonly free = new Map<number, number[]>();
  private readonly held = new Map<string, { offset: number; size: number }>();

  /** The first key of id's block, holding at least n keys (a new block when it outgrew the old). */
  offset(id: string, n: number): number {
    const h = this.held.get(id);
    if (h && h.size >= n) return h.offset;
    if (h) this.release(id);
    let size = 4;
    while (size < n) size *= 2;
    const offset = this.free.get(size)?.pop() ?? this.bump(size);
    this.held.set(id, { offset, size });
    return offset;
  }

  release(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    let l = this.free.get(h.size);
    if (!l) this.free.set(h.size, (l = []));
    l.push(h.offset);
  }

  has(id: string): boolean {
    return this.held.has(id);
  }

  private bump(size: number): number {
    const o = this.next;
    this.next += size;
    if (this.next > 0xffffffff) throw new Error('endpoint map keys exhausted');
    return o;
  }
}
