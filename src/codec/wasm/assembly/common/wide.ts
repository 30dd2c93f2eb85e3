// 64×64→128-bit products for the AssemblyScript modules (WebAssembly has no wide multiply).

/** The high 64 bits of a · b, from four 32×32→64 products (the low half is a * b). */
export function umulh(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff;
  const aHi = a >> 32;
  const bLo = b & 0xffffffff;
  const bHi = b >> 32;
  const b00 = aLo * bLo;
  const b01 = aLo * bHi;
  const b10 = aHi * bLo;
  const b11 = aHi * bHi;
  const mid1 = b10 + (b00 >> 32);
  const mid2 = b01 + (mid1 & 0xffffffff);
  return b11 + (mid1 >> 32) + (mid2 >> 32);
}
