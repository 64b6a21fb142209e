// Packed integer storage: int8 four lanes to a u32 word, int16 two, int32 one; lane 0 in the low bits.

fn lanes_per_word(bits: u32) -> u32 {
  return 32u / bits;
}

// Lane `lane` of `word` as a sign-extended i32.
fn lane_of(word: u32, bits: u32, lane: u32) -> i32 {
  return extractBits(bitcast<i32>(word), lane * bits, bits);
}

fn pack4x8(v: vec4<i32>) -> u32 {
  return (bitcast<u32>(v.x) & 0xffu) | ((bitcast<u32>(v.y) & 0xffu) << 8u)
       | ((bitcast<u32>(v.z) & 0xffu) << 16u) | (bitcast<u32>(v.w) << 24u);
}

fn pack2x16(a: i32, b: i32) -> u32 {
  return (bitcast<u32>(a) & 0xffffu) | (bitcast<u32>(b) << 16u);
}
