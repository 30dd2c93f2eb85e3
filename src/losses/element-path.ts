// JSON Pointers to one element of a tensor argument, for refusals that name the bad value.

/** `/name/i/j/...`: the element at row-major index `flat` of a tensor of `shape`. */
export function elementPath(name: string, shape: readonly number[], flat: number): string {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    index[d] = rest % size;
    rest = Math.floor(rest / size);
  }
  return ['', name, ...index].join('/');
}
