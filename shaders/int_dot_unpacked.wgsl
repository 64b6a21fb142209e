// Four int8 lanes of a and b multiplied and summed, for adapters without packed_4x8_integer_dot_product.
fn dot4i8(a: u32, b: u32) -> i32 {
  let x = bitcast<i32>(a);
  let y = bitcast<i32>(b);
  return extractBits(x, 0u, 8u) * extractBits(y, 0u, 8u)
       + extractBits(x, 8u, 8u) * extractBits(y, 8u, 8u)
       + extractBits(x, 16u, 8u) * extractBits(y, 16u, 8u)
       + extractBits(x, 24u, 8u) * extractBits(y, 24u, 8u);
}
