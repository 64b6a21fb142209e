requires packed_4x8_integer_dot_product;

// Four int8 lanes of a and b multiplied and summed (the adapter's packed dot product).
fn dot4i8(a: u32, b: u32) -> i32 {
  return dot4I8Packed(a, b);
}
